package dev.modelship.operator.status;

import dev.modelship.operator.api.v1alpha1.ArtifactStatus;

/**
 * Where the artifact of the current spec stands, and which artifact the pods should serve.
 *
 * @param ready whether the current spec's artifact is built
 * @param reason CamelCase reason for the ArtifactReady condition
 * @param message what happened and what to do, for a person
 * @param failed whether this is a failure worth an Event (as opposed to work in progress)
 * @param serving the artifact to serve: the current one when built, else the previous one, or null
 */
public record ArtifactState(boolean ready, String reason, String message, boolean failed, ArtifactStatus serving) {

  public String servingDigest() {
    return serving == null ? null : serving.digest;
  }
}
