package dev.modelship.operator.dependents;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.status.ArtifactState;
import dev.modelship.operator.status.PreconditionProblem;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * What every dependent of one reconcile needs beyond the spec, computed once before the workflow
 * runs (in the reconciler's initContext) from the observed Job and pods.
 *
 * @param kedaInstalled whether KEDA's ScaledObject CRD is installed; looked up only for
 *     autoscaling on rps or concurrency, false otherwise
 */
public record ReconcileInputs(OperatorConfig config, String buildKey, String jobName,
    ArtifactState artifact, PreconditionProblem preconditionProblem, boolean kedaInstalled) {

  public static ReconcileInputs of(Context<ModelDeployment> context) {
    return context.managedWorkflowAndDependentResourceContext().getMandatory(ReconcileInputs.class, ReconcileInputs.class);
  }

  public void putInto(Context<ModelDeployment> context) {
    context.managedWorkflowAndDependentResourceContext().put(ReconcileInputs.class, this);
  }
}
