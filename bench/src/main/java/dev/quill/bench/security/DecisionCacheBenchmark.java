package dev.quill.bench.security;

import dev.quill.security.Sid;
import dev.quill.security.policy.Decision;
import dev.quill.security.policy.DecisionCache;
import dev.quill.security.policy.EnforcementManager;
import dev.quill.security.policy.ObjectType;
import dev.quill.security.policy.Permission;
import dev.quill.security.policy.Policy;
import dev.quill.security.policy.PolicyException;
import dev.quill.security.policy.PolicyManager;
import dev.quill.security.policy.PolicyParser;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of a policy decision on the receiving node, in nanoseconds per call:
 *
 * <ul>
 *   <li>{@code cacheHit}: {@link DecisionCache#decide} for a subject and operation already cached —
 *       the path every remote operation takes once warm (target: under 100 ns, issue 6);
 *   <li>{@code cacheMiss}: the first decision after a policy install, when the rules are evaluated
 *       ({@link Policy#evaluate}); the subject matches only the 12th of 12 rules, with globs, so this
 *       is a bad case for a realistic policy;
 *   <li>{@code checkAllow}: {@link EnforcementManager#check} with an allow decision from the cache,
 *       counters included (no audit record, as for most operations).
 * </ul>
 *
 * The subjects are fresh {@link Sid} instances equal to the cached ones (as a SID parsed from a
 * message header would be), so the lookup pays for hashing and comparing, not an identity hit.
 *
 * <p>Run (from the repository root, JDK 25):
 *
 * <pre>
 * ./mvnw -q -o -pl store,security,cluster,mail,server,bench -DskipTests package
 * java -cp bench/target/quill-bench.jar org.openjdk.jmh.Main DecisionCacheBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecisionCacheBenchmark {
  static final String POLICY = """
      version 3
      service:pop3@*           fragment   read      -> allow
      service:imap@*           fragment   read      -> allow
      service:imap@*           fragment   expunge   -> audit
      service:*@*              profile    read      -> allow
      service:admin@*          *          *         -> allow
      user:*@*                 fragment   expunge   -> audit
      extension:*@*            *          *         -> deny
      node:*@*                 membership *         -> allow
      service:replication@*    replica    replicate -> allow
      *                        admin      *         -> deny
      user:*@example.com@*     profile    update    -> allow
      service:smtp@n*          fragment   store     -> allow
      """;

  private DecisionCache cache;
  private Policy policy;
  private EnforcementManager enforcement;
  private Sid smtp;

  @Setup(Level.Trial)
  public void setUp() throws PolicyException {
    policy = PolicyParser.parse(POLICY);
    PolicyManager manager = new PolicyManager(policy);
    cache = manager.cache();
    enforcement = new EnforcementManager(manager, event -> {});
    smtp = Sid.parse("service:smtp@n2");
    // Warm the cache with an equal but distinct instance.
    cache.decide(Sid.parse("service:smtp@n2"), ObjectType.FRAGMENT, Permission.STORE);
  }

  @Benchmark
  public Decision cacheHit() {
    return cache.decide(smtp, ObjectType.FRAGMENT, Permission.STORE);
  }

  @Benchmark
  public Decision cacheMiss() {
    return policy.evaluate(smtp, ObjectType.FRAGMENT, Permission.STORE);
  }

  @Benchmark
  public Decision checkAllow() {
    return enforcement.check(smtp, ObjectType.FRAGMENT, Permission.STORE, "alice/INBOX/42");
  }
}
