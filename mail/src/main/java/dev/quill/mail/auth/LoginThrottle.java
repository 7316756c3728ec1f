package dev.quill.mail.auth;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows and limits password guessing: every failed login costs the client a delay, and after
 * too many failures within a window the client address or the target user is refused until
 * the window passes. Loopback is not exempt: a local attacker is still an attacker.
 */
public final class LoginThrottle {

  /**
   * @param failureDelay how long a session waits after a failed login before replying
   * @param maxFailuresPerIp failures from one address within {@code window} before it is refused
   * @param maxFailuresPerUser failures for one user within {@code window} before it is refused
   * @param window how long failures are remembered
   */
  public record Limits(Duration failureDelay, int maxFailuresPerIp, int maxFailuresPerUser, Duration window) {
    /** Defaults in the spirit of Dovecot's auth penalty: 2 s delay, 10 per IP, 20 per user, 15 minutes. */
    public static Limits defaults() {
      return new Limits(Duration.ofSeconds(2), 10, 20, Duration.ofMinutes(15));
    }
  }

  private record Window(long startMillis, int failures) {}

  private final Limits limits;
  private final Clock clock;
  private final Map<InetAddress, Window> byIp = new ConcurrentHashMap<>();
  private final Map<String, Window> byUser = new ConcurrentHashMap<>();

  public LoginThrottle(Limits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
  }

  /** Whether a login attempt from {@code ip} for {@code user} may be checked at all now. */
  public boolean allowed(InetAddress ip, String user) {
    return under(byIp, ip, limits.maxFailuresPerIp()) && (user == null || under(byUser, user, limits.maxFailuresPerUser()));
  }

  /** Records a failure and waits the failure delay (the caller is a virtual thread). */
  public void failed(InetAddress ip, String user) throws InterruptedException {
    bump(byIp, ip);
    if (user != null) {
      bump(byUser, user);
    }
    prune();
    if (!limits.failureDelay().isZero()) {
      Thread.sleep(limits.failureDelay());
    }
  }

  /** Clears the address's failures after a successful login. */
  public void succeeded(InetAddress ip) {
    byIp.remove(ip);
  }

  private <K> boolean under(Map<K, Window> map, K key, int max) {
    Window w = map.get(key);
    return w == null || expired(w) || w.failures() < max;
  }

  private <K> void bump(Map<K, Window> map, K key) {
    long now = clock.millis();
    map.compute(key, (k, w) -> w == null || expired(w) ? new Window(now, 1) : new Window(w.startMillis(), w.failures() + 1));
  }

  private boolean expired(Window w) {
    return clock.millis() - w.startMillis() > limits.window().toMillis();
  }

  // Bounded memory under a spray of addresses: drop expired windows once the maps grow.
  private void prune() {
    if (byIp.size() > 10_000) {
      byIp.values().removeIf(this::expired);
    }
    if (byUser.size() > 10_000) {
      byUser.values().removeIf(this::expired);
    }
  }
}
