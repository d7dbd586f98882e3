package dev.modelship.artifact;

/**
 * The environment variables the optimizer reads, which the operator sets on the artifact Job and
 * on a serving pod's {@code pull-artifact} init container.
 */
public final class BuildEnvironment {
    /** Where {@code pvc://<claim>/<path>} sources are mounted: {@code <root>/<claim>/<path>}. */
    public static final String PVC_ROOT = "MODELSHIP_PVC_ROOT";
    /** Endpoint of an S3-compatible server for {@code s3://} sources. */
    public static final String S3_ENDPOINT = "MODELSHIP_S3_ENDPOINT";
    /**
     * The artifact store's own S3 settings. Separate from {@code AWS_*}, because the Job's
     * environment may also hold the model source's credentials.
     */
    public static final String STORE_ACCESS_KEY_ID = "MODELSHIP_STORE_AWS_ACCESS_KEY_ID";
    public static final String STORE_SECRET_ACCESS_KEY = "MODELSHIP_STORE_AWS_SECRET_ACCESS_KEY";
    public static final String STORE_REGION = "MODELSHIP_STORE_S3_REGION";
    public static final String STORE_ENDPOINT = "MODELSHIP_STORE_S3_ENDPOINT";

    private BuildEnvironment() {
    }
}
