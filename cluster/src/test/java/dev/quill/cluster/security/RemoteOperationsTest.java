package dev.quill.cluster.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.cluster.rpc.TypeIds;
import dev.quill.security.policy.ObjectType;
import dev.quill.security.policy.Permission;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemoteOperationsTest {
  /** Every request type the cluster defines has its own entry: none falls to the admin default by oversight. */
  @Test
  void everyTypeId_isMapped_andTheUnlistedAreAdministrative() throws Exception {
    List<String> unmapped = new ArrayList<>();
    for (var field : TypeIds.class.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class
          && !field.getName().equals("FIRST_TEST_ID") && !RemoteOperations.mapped(field.getInt(null))) {
        unmapped.add(field.getName());
      }
    }
    assertThat(unmapped).isEmpty();
    assertThat(RemoteOperations.of(TypeIds.FIRST_TEST_ID))
        .isEqualTo(new RemoteOperations.Access(ObjectType.ADMIN, Permission.ADMIN));
    assertThat(RemoteOperations.of(TypeIds.FRAGMENT_EXPUNGE))
        .isEqualTo(new RemoteOperations.Access(ObjectType.FRAGMENT, Permission.EXPUNGE));
    assertThat(RemoteOperations.of(TypeIds.STORE_MESSAGE))
        .isEqualTo(new RemoteOperations.Access(ObjectType.FRAGMENT, Permission.STORE));
  }
}
