package dev.modelship.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.TestResources;
import dev.modelship.operator.api.v1alpha1.ArtifactStatus;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentStatus;
import dev.modelship.operator.desired.InferenceDeploymentBuilder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusAggregatorTest {

  static final String DIGEST = "sha256:aaaa";
  static final String NOW = "2026-11-26T10:00:00Z";

  static ArtifactState built(String digest) {
    ArtifactStatus a = new ArtifactStatus();
    a.digest = digest;
    a.format = "onnx";
    a.buildKey = "k";
    return new ArtifactState(true, "Built", digest + " built", false, a);
  }

  /** The Deployment as the operator would create it, with the status the deployment controller writes. */
  static Deployment deployment(ModelDeployment md, String digest, int replicas, int updated, int available) {
    Deployment d = InferenceDeploymentBuilder.build(md, digest, OperatorConfig.defaults());
    d.getMetadata().setGeneration(1L);
    d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(1L).withReplicas(replicas)
        .withUpdatedReplicas(updated).withAvailableReplicas(available).withReadyReplicas(available).build());
    return d;
  }

  static ModelDeployment threeReplicas() {
    ModelDeployment md = TestResources.minimal();
    md.getSpec().replicas = 3;
    return md;
  }

  static Condition ready(ModelDeploymentStatus s) {
    return Conditions.find(s.conditions, "Ready");
  }

  @Test
  void readyOnlyWhenAllDesiredPodsAreAvailableOnTheCurrentDigest() {
    ModelDeployment md = threeReplicas();
    ModelDeploymentStatus s = StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 3, 3, 3), List.of(), TrafficView.NONE, NOW);
    assertThat(ready(s).getStatus()).isEqualTo("True");
    assertThat(ready(s).getReason()).isEqualTo("MinimumReplicasAvailable");
    assertThat(s.replicas).isEqualTo(3);
    assertThat(s.readyReplicas).isEqualTo(3);
    assertThat(s.observedGeneration).isEqualTo(1L);
    assertThat(s.url).isEqualTo("http://iris.default.svc:8080/v2/models/iris");
    assertThat(s.selector).isEqualTo("app.kubernetes.io/name=modelship,app.kubernetes.io/instance=iris,"
        + "app.kubernetes.io/component=inference-server,modelship.dev/model-deployment=iris");
    assertThat(s.artifact.digest).isEqualTo(DIGEST);
    assertThat(Conditions.find(s.conditions, "ArtifactReady").getStatus()).isEqualTo("True");

    ModelDeploymentStatus partial = StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 3, 3, 2), List.of(), TrafficView.NONE, NOW);
    assertThat(ready(partial).getStatus()).isEqualTo("False");
    assertThat(ready(partial).getReason()).isEqualTo("ReplicasUnavailable");
    assertThat(ready(partial).getMessage()).isEqualTo("2 of 3 pods available");
  }

  @Test
  void aDeploymentStillOnTheOldDigestIsARolloutNotReady() {
    ModelDeployment md = threeReplicas();
    Deployment old = deployment(md, "sha256:old", 3, 3, 3);
    ModelDeploymentStatus s = StatusAggregator.aggregate(md, built(DIGEST), old, List.of(), TrafficView.NONE, NOW);
    assertThat(ready(s).getReason()).isEqualTo("RolloutInProgress");

    // New template applied, one new pod up, old ones still there.
    ModelDeploymentStatus mid = StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 4, 1, 3), List.of(), TrafficView.NONE, NOW);
    assertThat(ready(mid).getStatus()).isEqualTo("False");
    assertThat(ready(mid).getReason()).isEqualTo("RolloutInProgress");
  }

  @Test
  void crashLoopingPodsAreTheReason() {
    ModelDeployment md = threeReplicas();
    Pod crashing = Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        metadata: {name: iris-7d9-abcde}
        status:
          containerStatuses:
            - name: inference-server
              image: x
              imageID: ""
              ready: false
              restartCount: 4
              state: {waiting: {reason: CrashLoopBackOff, message: "back-off 40s restarting failed container"}}
              lastState: {terminated: {exitCode: 1, reason: Error, message: "model file sha256 mismatch"}}
        """, Pod.class);
    ModelDeploymentStatus s = StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 3, 3, 2),
        List.of(crashing), TrafficView.NONE, NOW);
    assertThat(ready(s).getStatus()).isEqualTo("False");
    assertThat(ready(s).getReason()).isEqualTo("CrashLoopBackOff");
    assertThat(ready(s).getMessage()).contains("iris-7d9-abcde").contains("model file sha256 mismatch");
  }

  @Test
  void aFailingArtifactPullIsTheReasonWithThePullsMessage() {
    ModelDeployment md = threeReplicas();
    // The kubelet's report while the S3 pull init container fails and the server has not started.
    Pod pulling = Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        metadata: {name: iris-7d9-fghij}
        status:
          initContainerStatuses:
            - name: pull-artifact
              image: x
              imageID: ""
              ready: false
              restartCount: 2
              state: {waiting: {reason: CrashLoopBackOff, message: "back-off 20s restarting failed container"}}
              lastState: {terminated: {exitCode: 7, reason: Error, message: "[modelship] error: sha256 of s3://b/k is 00, but the manifest says 11; refusing it"}}
          containerStatuses:
            - name: inference-server
              image: x
              imageID: ""
              ready: false
              restartCount: 0
              state: {waiting: {reason: PodInitializing}}
        """, Pod.class);
    ModelDeploymentStatus s = StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 3, 3, 2),
        List.of(pulling), TrafficView.NONE, NOW);
    assertThat(ready(s).getStatus()).isEqualTo("False");
    assertThat(ready(s).getReason()).isEqualTo("CrashLoopBackOff");
    assertThat(ready(s).getMessage()).contains("iris-7d9-fghij").contains("pull-artifact")
        .contains("last exit code 7").contains("but the manifest says 11");
  }

  @Test
  void previousArtifactServingWhileTheNewOneFailedIsNotReady() {
    ModelDeployment md = threeReplicas();
    ArtifactStatus old = new ArtifactStatus();
    old.digest = "sha256:old";
    ArtifactState failed = new ArtifactState(false, "ValidationFailed", "Job x failed: too far off", true, old);
    ModelDeploymentStatus s = StatusAggregator.aggregate(md, failed, deployment(md, "sha256:old", 3, 3, 3), List.of(), TrafficView.NONE, NOW);
    assertThat(ready(s).getStatus()).isEqualTo("False");
    assertThat(ready(s).getReason()).isEqualTo("ServingPreviousArtifact");
    assertThat(Conditions.find(s.conditions, "ArtifactReady").getReason()).isEqualTo("ValidationFailed");
    assertThat(s.artifact.digest).isEqualTo("sha256:old");
    assertThat(s.readyReplicas).isEqualTo(3);
  }

  @Test
  void noArtifactYetMeansNoDeploymentAndNotReady() {
    ArtifactState building = new ArtifactState(false, "Building", "Job j is building the artifact", false, null);
    ModelDeploymentStatus s = StatusAggregator.aggregate(TestResources.minimal(), building, null, List.of(), TrafficView.NONE, NOW);
    assertThat(ready(s).getReason()).isEqualTo("ArtifactNotReady");
    assertThat(s.replicas).isZero();
    assertThat(s.artifact).isNull();
  }

  @Test
  void anUnchangedWorldGivesAnIdenticalStatus() {
    ModelDeployment md = threeReplicas();
    ModelDeploymentStatus first = StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 3, 3, 3), List.of(), TrafficView.NONE, NOW);
    md.setStatus(first);
    ModelDeploymentStatus again = StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 3, 3, 3), List.of(),
        TrafficView.NONE, "2026-11-26T11:00:00Z");
    assertThat(StatusAggregator.same(first, again)).isTrue();
    assertThat(ready(again).getLastTransitionTime()).isEqualTo(NOW);
  }
}
