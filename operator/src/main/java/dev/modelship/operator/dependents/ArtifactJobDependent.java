package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.desired.ArtifactJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * The artifact Job of the current spec. Created, never updated: a Job's template is immutable and
 * its name already changes whenever its inputs do. Jobs of earlier specs stay (with their pods'
 * reports) until the ModelDeployment is deleted.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Selectors.ARTIFACT_BUILDER))
public class ArtifactJobDependent extends KubernetesDependentResource<Job, ModelDeployment>
    implements Creator<Job, ModelDeployment>, GarbageCollected<ModelDeployment> {

  public ArtifactJobDependent() {
    super(Job.class);
  }

  @Override
  protected Job desired(ModelDeployment primary, Context<ModelDeployment> context) {
    return ArtifactJobBuilder.build(primary, ReconcileInputs.of(context).config());
  }

  /** Creates the Job only when what it mounts exists, so a missing Secret or claim is a condition, not a stuck pod. */
  public static class PrerequisitesPresent implements Condition<Job, ModelDeployment> {
    @Override
    public boolean isMet(DependentResource<Job, ModelDeployment> dependent, ModelDeployment primary,
        Context<ModelDeployment> context) {
      return ReconcileInputs.of(context).preconditionProblem() == null;
    }
  }
}
