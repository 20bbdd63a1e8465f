package airbench.model;

/** Run in a fresh JVM by {@link TensorFlowRuntimeTest}: configures oneDNN as told, prints the convolution kernel. */
public final class KernelProbeMain {
    public static void main(String[] args) {
        TensorFlowRuntime.configure(args[0].equals("on"));
        TensorFlowRuntime.Status status = TensorFlowRuntime.status();
        System.out.println("KERNEL=" + status.convolutionKernel() + " ACTIVE=" + status.oneDnnActive());
    }
}
