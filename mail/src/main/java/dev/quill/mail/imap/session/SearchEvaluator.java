package dev.quill.mail.imap.session;

import dev.quill.mail.imap.codec.SearchKey;
import dev.quill.mail.mime.MessageAnalysis;
import dev.quill.mail.mime.SearchableText;
import dev.quill.store.CorruptMessageException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * Evaluates a search program (RFC 9051 §6.4.4) against one message. Text keys match
 * case-insensitively as substrings of the decoded text ({@link SearchableText}); date keys compare
 * calendar dates, internal dates in UTC and sent dates in the Date header's own zone, ignoring
 * time and zone as the RFC asks. A message whose bytes cannot be read matches no text key.
 */
final class SearchEvaluator {
  private final long maxSeq;
  private final long maxUid;

  SearchEvaluator(long maxSeq, long maxUid) {
    this.maxSeq = maxSeq;
    this.maxUid = maxUid;
  }

  /** Whether evaluating {@code key} reads the stored search text or structure (so a SEARCH loads them in batches). */
  static boolean needsDerived(SearchKey key) {
    return switch (key) {
      case SearchKey.Header h -> true;
      case SearchKey.Body b -> true;
      case SearchKey.Text t -> true;
      case SearchKey.Date d -> d.sent();
      case SearchKey.Not n -> needsDerived(n.key());
      case SearchKey.Or o -> needsDerived(o.left()) || needsDerived(o.right());
      case SearchKey.And a -> a.keys().stream().anyMatch(SearchEvaluator::needsDerived);
      default -> false;
    };
  }

  boolean matches(SearchKey key, MessageView m, int seq, boolean recent) throws CorruptMessageException {
    return switch (key) {
      case SearchKey.All a -> true;
      case SearchKey.Flag f -> hasFlag(m, f.flag()) == f.set();
      case SearchKey.Recent r -> recent == r.recent() && (r.seen() == null || hasFlag(m, "\\Seen") == r.seen());
      case SearchKey.Header h -> {
        SearchableText t = m.text();
        yield t != null && t.headerContains(h.field(), h.value());
      }
      case SearchKey.Body b -> {
        SearchableText t = m.text();
        yield t != null && t.bodyContains(b.value());
      }
      case SearchKey.Text x -> {
        SearchableText t = m.text();
        yield t != null && t.textContains(x.value());
      }
      case SearchKey.Date d -> {
        LocalDate date;
        if (d.sent()) {
          MessageAnalysis a = m.analysis();
          if (a == null || a.sentDate().isEmpty()) {
            yield false;
          }
          date = a.sentDate().get().toLocalDate();
        } else {
          date = m.meta.internalDate().atOffset(ZoneOffset.UTC).toLocalDate();
        }
        yield switch (d.op()) {
          case BEFORE -> date.isBefore(d.date());
          case ON -> date.isEqual(d.date());
          case SINCE -> !date.isBefore(d.date());
        };
      }
      case SearchKey.Size s -> s.larger() ? m.meta.size() > s.size() : m.meta.size() < s.size();
      case SearchKey.Uid u -> u.set().contains(m.meta.uid(), maxUid);
      case SearchKey.Seq s -> s.set().contains(seq, maxSeq);
      case SearchKey.ModSeq ms -> m.meta.modSeq() >= ms.modSeq();
      case SearchKey.Not n -> !matches(n.key(), m, seq, recent);
      case SearchKey.Or o -> matches(o.left(), m, seq, recent) || matches(o.right(), m, seq, recent);
      case SearchKey.And a -> {
        for (SearchKey k : a.keys()) {
          if (!matches(k, m, seq, recent)) {
            yield false;
          }
        }
        yield true;
      }
    };
  }

  private static boolean hasFlag(MessageView m, String flag) {
    String wanted = flag.toLowerCase(Locale.ROOT);
    for (String f : m.meta.flags()) {
      if (f.toLowerCase(Locale.ROOT).equals(wanted)) {
        return true;
      }
    }
    return false;
  }
}
