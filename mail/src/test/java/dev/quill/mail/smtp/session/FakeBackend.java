package dev.quill.mail.smtp.session;

import dev.quill.store.Addresses;
import dev.quill.store.DeliveryResult;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** An in-memory backend for session tests: one local domain, users, aliases, and scripted store outcomes. */
final class FakeBackend implements SmtpBackend {
  /** One call to deliver. */
  record Delivery(List<String> users, String message) {}

  final Set<String> domains = new HashSet<>(Set.of("local.example"));
  final Map<String, String> recipients = new HashMap<>(); // address or alias -> user
  final Map<String, String> passwords = new HashMap<>();
  final Set<String> fullMailboxes = new HashSet<>();
  final Map<String, Long> quotaLeft = new HashMap<>();
  final Set<String> overQuotaAtDelivery = new HashSet<>();
  final List<Delivery> deliveries = new ArrayList<>();
  RuntimeException deliveryFailure;
  RuntimeException lookupFailure;
  boolean neverComplete;
  /** False while the fake store is below its free-space reserve. */
  boolean acceptsMail = true;

  FakeBackend user(String address, String password) {
    recipients.put(address, address);
    passwords.put(address, password);
    return this;
  }

  FakeBackend alias(String alias, String user) {
    recipients.put(alias, user);
    return this;
  }

  @Override
  public Resolution resolveRecipient(String address, long declaredSize) {
    if (lookupFailure != null) {
      throw lookupFailure;
    }
    String a = Addresses.normalize(address);
    if (!domains.contains(Addresses.domainOf(a))) {
      return Resolution.of(Disposition.NOT_LOCAL);
    }
    String user = recipients.get(a);
    if (user == null) {
      return Resolution.of(Disposition.NO_SUCH_USER);
    }
    if (fullMailboxes.contains(user) || (declaredSize > 0 && declaredSize > quotaLeft.getOrDefault(user, Long.MAX_VALUE))) {
      return Resolution.of(Disposition.MAILBOX_FULL);
    }
    return Resolution.local(user);
  }

  @Override
  public boolean acceptsMail() {
    return acceptsMail;
  }

  @Override
  public boolean authenticate(String user, char[] password) {
    String expected = passwords.get(user);
    return expected != null && Arrays.equals(expected.toCharArray(), password);
  }

  @Override
  public CompletableFuture<List<DeliveryResult>> deliver(Collection<String> users, byte[] message, Instant receivedAt) {
    if (deliveryFailure != null) {
      return CompletableFuture.failedFuture(deliveryFailure);
    }
    if (neverComplete) {
      return new CompletableFuture<>();
    }
    deliveries.add(new Delivery(List.copyOf(users), new String(message, StandardCharsets.UTF_8)));
    List<DeliveryResult> results = new ArrayList<>();
    long uid = 1;
    for (String u : users) {
      results.add(overQuotaAtDelivery.contains(u)
          ? new DeliveryResult(u, DeliveryResult.Status.OVER_QUOTA, 0)
          : new DeliveryResult(u, DeliveryResult.Status.STORED, uid++));
    }
    return CompletableFuture.completedFuture(results);
  }
}
