package dev.modelship.operator.desired;

import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;

/** The "restricted" Pod Security Standard, shared by every pod the operator creates. */
final class RestrictedSecurity {

  /** Both images run as this non-root user; fsGroup lets it write the artifact volume. */
  static final long USER_ID = 10001L;

  private RestrictedSecurity() {}

  static PodSecurityContext pod() {
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(USER_ID)
        .withRunAsGroup(USER_ID)
        .withFsGroup(USER_ID)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .build();
  }

  static SecurityContext container() {
    return new SecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities()
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .build();
  }
}
