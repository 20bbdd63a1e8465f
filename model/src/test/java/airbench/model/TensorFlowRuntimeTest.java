package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TensorFlowRuntimeTest {

    @Test
    void setsTheProcessEnvironmentAsTheCLibrarySeesIt() {
        String name = "AIRBENCH_RUNTIME_TEST_" + ProcessHandle.current().pid();
        assertEquals(null, TensorFlowRuntime.environment(name));
        TensorFlowRuntime.setEnvironment(name, "value-1");
        assertEquals("value-1", TensorFlowRuntime.environment(name));
        TensorFlowRuntime.setEnvironment(name, "value-2");
        assertEquals("value-2", TensorFlowRuntime.environment(name));
    }

    @Test
    void thisProcessRunsOneDnnConvolutions() {
        TensorFlowRuntime.Status status = TensorFlowRuntime.status();
        assertTrue(status.oneDnnRequested());
        assertEquals("1", TensorFlowRuntime.environment(TensorFlowRuntime.ONEDNN_VARIABLE));
        assertTrue(status.convolutionKernel().startsWith("_Mkl"), status.convolutionKernel());
        assertTrue(status.oneDnnActive());
        assertEquals(CpuFeatures.detect(), status.cpu());
    }

    /**
     * The switch decides the kernel on any CPU, whatever TensorFlow's own default for it is: a fresh JVM
     * with no TF_ENABLE_ONEDNN_OPTS in its environment, configured on, runs oneDNN's convolution;
     * configured off, TensorFlow's plain Conv2D.
     */
    @Test
    void oneDnnOnAndOffInAFreshJvmDecideTheConvolutionKernel() throws Exception {
        String on = probe("on");
        assertTrue(on.matches("KERNEL=_Mkl\\w*Conv2D ACTIVE=true"), on);
        String off = probe("off");
        assertEquals("KERNEL=Conv2D ACTIVE=false", off);
    }

    private static String probe(String oneDnn) throws IOException, InterruptedException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            command.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        command.addAll(List.of(KernelProbeMain.class.getName(), oneDnn));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove(TensorFlowRuntime.ONEDNN_VARIABLE);
        builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "probe JVM did not finish");
        assertEquals(0, process.exitValue(), output);
        return output.lines().filter(l -> l.startsWith("KERNEL=")).findFirst().orElse("no KERNEL line in: " + output);
    }
}
