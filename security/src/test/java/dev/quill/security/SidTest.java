package dev.quill.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class SidTest {
  @Test
  void textForm_roundTrips_andUserAddressesKeepTheirAt() {
    Sid user = Sid.parse("user:Alice@Example.com@n3");
    assertThat(user.kind()).isEqualTo(Sid.Kind.USER);
    assertThat(user.name()).isEqualTo("alice@example.com");
    assertThat(user.node()).isEqualTo("n3");
    assertThat(Sid.parse(user.toString())).isEqualTo(user);
    assertThat(Sid.service("imap", "n2")).hasToString("service:imap@n2");
    assertThat(Sid.node("n1")).hasToString("node:n1@n1");
  }

  @Test
  void malformed_isRefusedWithAReason() {
    for (String bad : new String[] {"", "user", "user:@n1", "user:a@", "robot:a@n1", "user:a b@n1", "user:a@n\n1"}) {
      assertThatThrownBy(() -> Sid.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Property
  void anyText_parsesOrIsRefused_neverOtherwise(@ForAll String text) {
    try {
      Sid sid = Sid.parse(text);
      assertThat(Sid.parse(sid.toString())).isEqualTo(sid);
    } catch (IllegalArgumentException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Test
  void principals_bindForTheCallOnly() throws Exception {
    Sid node = Sid.node("n1");
    Sid smtp = Sid.service("smtp", "n1");
    assertThat(Principals.currentOr(node)).isEqualTo(node);
    assertThat(Principals.callAs(smtp, () -> Principals.currentOr(node))).isEqualTo(smtp);
    assertThat(Principals.bound()).isFalse();
  }

  @Test
  void aSession_becomesItsUserAfterLogin_aHandlerBindingDoesNot() throws Exception {
    Sid node = Sid.node("n1");
    Sid imap = Sid.service("imap", "n1");
    Sid during = Principals.session(imap, () -> {
      assertThat(Principals.currentOr(node)).isEqualTo(imap);
      Principals.authenticated("Ada@Example.org");
      return Principals.currentOr(node);
    });
    assertThat(during).isEqualTo(Sid.user("ada@example.org", "n1"));
    Sid handler = Sid.service("replication", "n2");
    assertThat(Principals.callAs(handler, () -> {
      Principals.authenticated("mallory@example.org"); // not a session: nothing changes
      return Principals.currentOr(node);
    })).isEqualTo(handler);
    Principals.authenticated("nobody@example.org");
    assertThat(Principals.bound()).isFalse();
  }
}
