package dev.quill.mail.imap.session;

import dev.quill.mail.mime.MessageAnalysis;
import dev.quill.mail.mime.SearchableText;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One message as a FETCH or SEARCH sees it, loaded lazily and at most once per command: its
 * metadata, its bytes, its MIME structure and its searchable text. The structure and text come
 * from the store's derived data; when a message has none (stored before analysis existed), the
 * bytes are analysed once for this command and not kept. A command that touches many messages
 * loads them in batches ({@link #load}) so that each costs one store round trip per batch, not
 * several per message.
 */
final class MessageView {
  /** How many messages one store round trip loads; bounds the memory a FETCH of large messages holds. */
  static final int BATCH = 32;

  private final ImapBackend backend;
  private final String user;
  private final String mailbox;
  private final long uidValidity;
  final MessageMeta meta;
  private byte[] bytes;
  private boolean missing;
  private String corrupt;
  private MessageAnalysis analysis;
  private SearchableText text;
  private Optional<MessageDerived> derived;

  /** A view of {@code meta}'s message, whose UID the session took under {@code uidValidity}. */
  MessageView(ImapBackend backend, String user, String mailbox, long uidValidity, MessageMeta meta) {
    this.backend = backend;
    this.user = user;
    this.mailbox = mailbox;
    this.uidValidity = uidValidity;
    this.meta = meta;
  }

  /**
   * Views of the given messages with what {@code parts} asks already loaded, in one store call;
   * a message the store no longer has reads as gone. Every read checks {@code uidValidity}
   * ({@link ImapBackend#load}).
   */
  static List<MessageView> load(ImapBackend backend, String user, String mailbox, long uidValidity,
      List<MessageMeta> metas, Set<LoadedMessage.Part> parts) {
    List<MessageView> views = new ArrayList<>(metas.size());
    Map<Long, LoadedMessage> loaded = new HashMap<>();
    if (!parts.isEmpty() && !metas.isEmpty()) {
      List<Long> uids = new ArrayList<>(metas.size());
      for (MessageMeta m : metas) {
        uids.add(m.uid());
      }
      for (LoadedMessage l : backend.load(user, mailbox, uidValidity, uids, parts)) {
        loaded.put(l.meta().uid(), l);
      }
    }
    for (MessageMeta m : metas) {
      MessageView v = new MessageView(backend, user, mailbox, uidValidity, m);
      if (!parts.isEmpty()) {
        LoadedMessage l = loaded.get(m.uid());
        if (l == null) {
          v.missing = true;
          v.derived = Optional.empty();
        } else {
          if (l.problem() != null) {
            v.corrupt = l.problem();
          } else if (parts.contains(LoadedMessage.Part.BODY)) {
            v.bytes = l.body();
          }
          if (parts.contains(LoadedMessage.Part.DERIVED)) {
            v.derived = Optional.ofNullable(l.derived());
          }
        }
      }
      views.add(v);
    }
    return views;
  }

  /** The message's octets; null when it was expunged meanwhile. */
  byte[] bytes() throws CorruptMessageException {
    if (corrupt == null && bytes == null && !missing) {
      Optional<LoadedMessage> l = one(LoadedMessage.Part.BODY);
      corrupt = l.map(LoadedMessage::problem).orElse(null);
      missing = l.isEmpty();
      bytes = l.map(LoadedMessage::body).orElse(null);
    }
    if (corrupt != null) {
      throw new CorruptMessageException("message " + meta.uid() + " is corrupt (" + corrupt + ") and has been quarantined");
    }
    return bytes;
  }

  /** The MIME structure; null when the message is gone. */
  MessageAnalysis analysis() throws CorruptMessageException {
    if (analysis == null) {
      Optional<MessageDerived> d = derived();
      if (d.isPresent() && d.get().structure() != null && d.get().structure().length > 0) {
        analysis = MessageAnalysis.decode(d.get().structure());
      } else if (bytes() != null) {
        analysis = MessageAnalysis.analyze(bytes);
      }
    }
    return analysis;
  }

  /** The searchable text; null when the message is gone. */
  SearchableText text() throws CorruptMessageException {
    if (text == null) {
      Optional<MessageDerived> d = derived();
      if (d.isPresent() && d.get().searchText() != null && d.get().searchText().length > 0) {
        text = SearchableText.decode(d.get().searchText());
      } else if (bytes() != null) {
        text = SearchableText.decode(MessageAnalysis.analyze(bytes).toDerived().searchText());
      }
    }
    return text;
  }

  private Optional<MessageDerived> derived() {
    if (derived == null) {
      derived = one(LoadedMessage.Part.DERIVED).map(LoadedMessage::derived);
    }
    return derived;
  }

  /** This message alone, with {@code part}; empty when it is gone. */
  private Optional<LoadedMessage> one(LoadedMessage.Part part) {
    List<LoadedMessage> l = backend.load(user, mailbox, uidValidity, List.of(meta.uid()), EnumSet.of(part));
    return l.isEmpty() ? Optional.empty() : Optional.of(l.getFirst());
  }
}
