package dev.quill.mail.imap.session;

import dev.quill.mail.mime.MessageAnalysis;
import dev.quill.mail.mime.SearchableText;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import java.util.Optional;

/**
 * One message as a FETCH or SEARCH sees it, loaded lazily and at most once per command: its
 * metadata, its bytes, its MIME structure and its searchable text. The structure and text come
 * from the store's derived data; when a message has none (stored before analysis existed), the
 * bytes are analysed once for this command and not kept.
 */
final class MessageView {
  private final ImapBackend backend;
  private final String user;
  private final String mailbox;
  final MessageMeta meta;
  private byte[] bytes;
  private boolean missing;
  private MessageAnalysis analysis;
  private SearchableText text;
  private Optional<MessageDerived> derived;

  MessageView(ImapBackend backend, String user, String mailbox, MessageMeta meta) {
    this.backend = backend;
    this.user = user;
    this.mailbox = mailbox;
    this.meta = meta;
  }

  /** The message's octets; null when it was expunged meanwhile. */
  byte[] bytes() throws CorruptMessageException {
    if (bytes == null && !missing) {
      Optional<byte[]> b = backend.readMessage(user, mailbox, meta.uid());
      missing = b.isEmpty();
      bytes = b.orElse(null);
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
      derived = backend.derived(user, mailbox, meta.uid());
    }
    return derived;
  }
}
