package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.store.MessageMeta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The batches a fragment copy loads at a time: every message once, in order, each batch within its bounds. */
class CopyBatchesProperties {

  @Provide
  Arbitrary<List<MessageMeta>> mailboxes() {
    Arbitrary<Long> sizes = Arbitraries.oneOf(Arbitraries.longs().between(1, 100_000),
        Arbitraries.longs().between(1, 40L << 20)); // now and then a message larger than a batch
    return sizes.list().ofMaxSize(300).map(list -> {
      List<MessageMeta> messages = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        messages.add(new MessageMeta(i * 3L + 1, Instant.EPOCH, list.get(i), Set.of(), i + 1, 0));
      }
      return messages;
    });
  }

  @Property
  void everyMessageOnce_inOrder_andEachBatchWithinItsBounds(@ForAll("mailboxes") List<MessageMeta> messages) {
    List<List<Long>> batches = CopyBatches.of(messages);
    assertThat(batches.stream().flatMap(List::stream).toList())
        .isEqualTo(messages.stream().map(MessageMeta::uid).toList());
    Map<Long, Long> size = messages.stream().collect(Collectors.toMap(MessageMeta::uid, MessageMeta::size));
    for (List<Long> batch : batches) {
      assertThat(batch).isNotEmpty().hasSizeLessThanOrEqualTo(CopyBatches.MESSAGES);
      long bytes = batch.stream().mapToLong(size::get).sum();
      assertThat(batch.size() == 1 || bytes <= CopyBatches.BYTES).as("%d bytes in %d messages", bytes, batch.size())
          .isTrue();
    }
    // a batch is cut only when the next message would not fit it
    for (int i = 0; i + 1 < batches.size(); i++) {
      List<Long> batch = batches.get(i);
      long next = size.get(batches.get(i + 1).getFirst());
      long bytes = batch.stream().mapToLong(size::get).sum();
      assertThat(batch.size() == CopyBatches.MESSAGES || bytes + next > CopyBatches.BYTES).isTrue();
    }
  }
}
