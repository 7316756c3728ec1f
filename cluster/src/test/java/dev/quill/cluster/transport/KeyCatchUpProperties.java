package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.quill.security.SecurityEvents;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.keys.ClusterCa;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.NodeCredential;
import dev.quill.security.keys.TrafficKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The key catch-up frames and their handling: arbitrary or damaged bytes are refused with a reason and
 * never install a key; a genuine exchange moves the requester to the member's current key.
 */
class KeyCatchUpProperties {
  private static final Fixture F = Fixture.make();

  /** Two members of one CA (one a key ahead), and a credential of another CA. */
  private record Fixture(NodeCredential ahead, NodeCredential behind, NodeCredential stranger) {
    static Fixture make() {
      try {
        Path dir = Files.createTempDirectory("catch-up");
        ClusterCa.init(dir.resolve("ca"));
        ClusterCa.init(dir.resolve("other"));
        ClusterCa ca = ClusterCa.open(dir.resolve("ca"));
        return new Fixture(ca.issue("m1", Clock.systemUTC()), ca.issue("m2", Clock.systemUTC()),
            ClusterCa.open(dir.resolve("other")).issue("m3", Clock.systemUTC()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** One side of an exchange: its catch-up, its keys, what it refused. */
  private record Side(KeyCatchUp catchUp, TrafficKeys keys, SecurityDrops drops) {
    static Side of(NodeCredential c, KeyRing ring, Set<String> revoked) {
      SecurityDrops drops = new SecurityDrops(c.node(), SecurityEvents.NONE);
      TrafficKeys keys = new TrafficKeys(ring);
      return new Side(new KeyCatchUp(c.node(), c, keys, revoked, drops), keys, drops);
    }

    long dropped(Reason r) {
      return drops.counts().get(r);
    }

    Optional<byte[]> take(byte[] frame) {
      return catchUp.receive(frame.clone(), frame.length, "peer");
    }
  }

  private static Side ahead() {
    return Side.of(F.ahead(), F.ahead().ring().rotate(KeyRing.randomKey(), 60_000, System.currentTimeMillis()), Set.of());
  }

  @Example
  void aGenuineExchange_movesTheRequesterToTheCurrentKey() {
    Side member = ahead();
    Side back = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    assertThat(back.catchUp.behind(member.keys.current().id())).isTrue();
    byte[] grant = member.take(back.catchUp.request("m1").orElseThrow()).orElseThrow();
    assertThat(back.take(grant)).isEmpty();
    assertThat(back.keys.current().id()).isEqualTo(member.keys.current().id());
    assertThat(back.keys.current().secret().getEncoded()).isEqualTo(member.keys.current().secret().getEncoded());
    assertThat(back.catchUp.answers()).isEqualTo(1);
    // a key taken this way is not given on (the taker may have missed a revocation)
    Side third = Side.of(F.ahead(), F.ahead().ring(), ConcurrentHashMap.newKeySet());
    assertThat(back.take(third.catchUp.request("m2").orElseThrow())).isEmpty();
    // asked again now that it is current: "current", no key
    byte[] again = member.take(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Request(back.keys.ring().maxId(),
        F.behind().publicPart()))).orElseThrow();
    assertThat(KeyCatchUpFrame.isCatchUp(again, again.length)).isTrue();
    assertThat(again[0]).isEqualTo(KeyCatchUpFrame.CURRENT);
  }

  /**
   * Asking two seeds at start, one as far behind as the asker (or revoked and not knowing it): its
   * "current" answer does not end the wait, the other's grant does; with nothing but "current"
   * answers, the wait ends when every seed asked has answered. Going on at the first answer, the
   * asker kept the old key and formed a cluster with the seed behind (KeyCatchUpTest, once).
   */
  @Example
  void atStart_aCurrentFromASeedBehindDoesNotEndTheWait_aGrantDoes() throws Exception {
    Side member = ahead();
    Side stale = Side.of(F.ahead(), F.ahead().ring(), ConcurrentHashMap.newKeySet()); // key 1, like the asker
    Side back = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    long answers = back.catchUp.answers();
    long grants = back.catchUp.grants();
    byte[] toStale = back.catchUp.request("stale").orElseThrow();
    byte[] toMember = back.catchUp.request("member").orElseThrow();
    back.take(stale.take(toStale).orElseThrow());
    assertThat(back.catchUp.answers() - answers).isEqualTo(1);
    assertThat(KeyCatchUp.waitOver(1, back.catchUp.grants() - grants, false, 2))
        .as("one current of two: not over").isFalse();
    assertThat(KeyCatchUp.waitOver(1, 0, true, 1)).as("a request still going out: not over").isFalse();
    assertThat(KeyCatchUp.waitOver(0, 0, false, 0)).as("nothing went out: over").isTrue();
    assertThat(back.keys.current().id()).isEqualTo(1);
    Thread granter = Thread.ofVirtual().start(() -> back.take(member.take(toMember).orElseThrow()));
    assertThat(back.catchUp.awaitAnswers(answers, grants, 60_000, () -> false, () -> 2)).isTrue();
    granter.join();
    assertThat(back.keys.current().id()).isEqualTo(member.keys.current().id());
    // Two seeds both current: the wait ends when both answered, not at the time limit.
    Side again = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    long seen = again.catchUp.answers();
    byte[] one = again.catchUp.request("s1").orElseThrow();
    byte[] two = again.catchUp.request("s2").orElseThrow();
    again.take(stale.take(one).orElseThrow());
    again.take(Side.of(F.ahead(), F.ahead().ring(), Set.of()).take(two).orElseThrow());
    assertThat(again.catchUp.awaitAnswers(seen, again.catchUp.grants(), 60_000, () -> false, () -> 2)).isTrue();
    assertThat(again.catchUp.answers() - seen).isEqualTo(2);
  }

  @Example
  void aMemberHintsAPeerHeardUnderAnOldKey_andThePeerAsks() {
    Side member = Side.of(F.ahead(), F.ahead().ring().rotate(KeyRing.randomKey(), 0, System.currentTimeMillis() - 1),
        Set.of());
    assertThat(member.catchUp.hint("p", 2)).as("the current key: nothing to say").isEmpty();
    byte[] hint = member.catchUp.hint("p", 1).orElseThrow();
    assertThat(member.catchUp.hint("p", 1)).as("once a second per peer").isEmpty();
    Side back = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    byte[] request = back.catchUp.receive(hint, hint.length, "m1").orElseThrow();
    assertThat(request[0]).isEqualTo(KeyCatchUpFrame.REQUEST);
    byte[] grant = member.take(request).orElseThrow();
    back.take(grant);
    assertThat(back.keys.current().id()).isEqualTo(2);
    // within the old key's grace there is no hint: the peer is still understood
    Side graceful = Side.of(F.ahead(), F.ahead().ring().rotate(KeyRing.randomKey(), 60_000, System.currentTimeMillis()),
        Set.of());
    assertThat(graceful.catchUp.hint("p", 1)).isEmpty();
  }

  @Example
  void aStrangersRequest_aRevokedRequester_andAnUnaskedGrant_changeNothing() throws Exception {
    Side member = ahead();
    assertThat(member.take(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Request(1, F.stranger().publicPart())))).isEmpty();
    assertThat(member.dropped(Reason.BAD_CREDENTIAL)).isEqualTo(1);

    Side revoking = Side.of(F.ahead(), member.keys.ring(), Set.of("m2"));
    assertThat(revoking.take(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Request(1, F.behind().publicPart())))).isEmpty();
    assertThat(revoking.dropped(Reason.REVOKED)).isEqualTo(1);

    // a grant nobody asked for, even a genuine one, is not taken
    Side back = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    Side asking = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    byte[] grant = member.take(asking.catchUp.request("m1").orElseThrow()).orElseThrow();
    back.take(grant);
    assertThat(back.keys.current().id()).isEqualTo(1);
    assertThat(back.dropped(Reason.MALFORMED)).isEqualTo(1);
  }

  @Example
  void aGrantSealedByAStrangerForTheRequestersKey_isRefused() throws Exception {
    Side back = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    back.catchUp.request("x").orElseThrow();
    byte[] sealed = dev.quill.security.keys.KeySealing.sealFrom(9, KeyRing.randomKey(), F.behind().publicKey(),
        F.stranger().privateKey(), F.stranger().publicKey());
    back.take(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Grant(9, F.stranger().publicPart(), sealed)));
    assertThat(back.dropped(Reason.BAD_CREDENTIAL)).isEqualTo(1);
    // the stranger's key under a genuine member's credential does not open
    back.take(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Grant(9, F.ahead().publicPart(), sealed)));
    assertThat(back.dropped(Reason.BAD_TAG)).isEqualTo(1);
    assertThat(back.keys.current().id()).isEqualTo(1);
  }

  @Property(tries = 300)
  void arbitraryBytes_areRefusedOrParsed_neverThrown(@ForAll @Size(max = 600) byte[] bytes, @ForAll @IntRange(min = 0x51, max = 0x53) int kind) {
    Side back = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    back.catchUp.request("x");
    byte[] frame = bytes.clone();
    if (frame.length > 0) {
      frame[0] = (byte) kind;
    }
    assertThatCode(() -> back.take(frame)).doesNotThrowAnyException();
    assertThat(back.keys.current().id()).isEqualTo(1);
  }

  @Property(tries = 300)
  void aFlippedByteInAGenuineGrant_neverInstallsAWrongKey(@ForAll @IntRange(min = 0, max = 100_000) int position,
      @ForAll @IntRange(min = 1, max = 255) int flip) {
    Side member = ahead();
    Side back = Side.of(F.behind(), F.behind().ring(), ConcurrentHashMap.newKeySet());
    byte[] grant = member.take(back.catchUp.request("m1").orElseThrow()).orElseThrow();
    byte[] damaged = Arrays.copyOf(grant, grant.length);
    damaged[position % damaged.length] ^= (byte) flip;
    assertThatCode(() -> back.take(damaged)).doesNotThrowAnyException();
    // every field is checked: the kind and lengths by the parser, the credential by its CA signature, the
    // key id and sealed key by the tag
    assertThat(back.keys.current().id()).isEqualTo(1);
  }
}
