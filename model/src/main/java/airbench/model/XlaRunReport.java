package airbench.model;

import java.util.HashSet;
import java.util.Set;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;

/**
 * What TensorFlow reports about the XLA clusters of one traced {@code Session.run}: the graphs it
 * executed (RunOptions {@code output_partition_graphs}) hold one {@code _XlaCompile} node per
 * cluster; the run's trace times those nodes, and their time includes compilation when the run
 * compiled.
 *
 * @param clusters      XLA clusters in the executed graphs
 * @param compileMillis summed time of the clusters' {@code _XlaCompile} nodes in the trace
 */
public record XlaRunReport(int clusters, double compileMillis) {

    static final String COMPILE_OP = "_XlaCompile";

    static XlaRunReport of(RunMetadata metadata) {
        if (metadata == null) {
            return new XlaRunReport(0, 0);
        }
        Set<String> compileNodes = new HashSet<>();
        for (GraphDef partition : metadata.getPartitionGraphsList()) {
            for (NodeDef node : partition.getNodeList()) {
                if (node.getOp().equals(COMPILE_OP)) {
                    compileNodes.add(node.getName());
                }
            }
        }
        long micros = 0;
        for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
            for (NodeExecStats stats : device.getNodeStatsList()) {
                if (compileNodes.contains(stats.getNodeName())) {
                    micros += stats.getAllEndRelMicros();
                }
            }
        }
        return new XlaRunReport(compileNodes.size(), micros / 1000.0);
    }
}
