package dev.quill.mail.imap.codec;

import java.time.LocalDate;
import java.util.List;

/** One IMAP search key (RFC 9051 §6.4.4 {@code search-key}), with the RFC 3501 and RFC 7162 additions. */
public sealed interface SearchKey {

  /** ALL. */
  record All() implements SearchKey {}

  /** A system flag or keyword present ({@code set}) or absent: ANSWERED/UNANSWERED, KEYWORD/UNKEYWORD ... */
  record Flag(String flag, boolean set) implements SearchKey {}

  /** NEW, OLD and RECENT (IMAP4rev1 only): {@code recent} with or without \Seen. */
  record Recent(boolean recent, Boolean seen) implements SearchKey {}

  /** A header field contains a string (FROM, TO, CC, BCC, SUBJECT, HEADER). */
  record Header(String field, String value) implements SearchKey {}

  /** BODY string. */
  record Body(String value) implements SearchKey {}

  /** TEXT string. */
  record Text(String value) implements SearchKey {}

  /** How a date key compares. */
  enum DateOp { BEFORE, ON, SINCE }

  /** BEFORE/ON/SINCE (internal date, {@code sent} false) or SENTBEFORE/SENTON/SENTSINCE. */
  record Date(DateOp op, LocalDate date, boolean sent) implements SearchKey {}

  /** LARGER n ({@code larger}) or SMALLER n. */
  record Size(long size, boolean larger) implements SearchKey {}

  /** UID set. */
  record Uid(SequenceSet set) implements SearchKey {}

  /** A sequence set of message numbers. */
  record Seq(SequenceSet set) implements SearchKey {}

  /** MODSEQ n (RFC 7162 §3.1.5); entry names are accepted and ignored. */
  record ModSeq(long modSeq) implements SearchKey {}

  /** NOT key. */
  record Not(SearchKey key) implements SearchKey {}

  /** OR key key. */
  record Or(SearchKey left, SearchKey right) implements SearchKey {}

  /** A parenthesised list, or the top-level list: all must match. */
  record And(List<SearchKey> keys) implements SearchKey {}

  /** Whether this key uses MODSEQ anywhere (it then enables CONDSTORE). */
  default boolean usesModSeq() {
    return switch (this) {
      case ModSeq m -> true;
      case Not n -> n.key().usesModSeq();
      case Or o -> o.left().usesModSeq() || o.right().usesModSeq();
      case And a -> a.keys().stream().anyMatch(SearchKey::usesModSeq);
      default -> false;
    };
  }
}
