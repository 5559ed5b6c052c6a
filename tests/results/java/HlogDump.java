// HlogDump - reads a .hlog with HdrHistogram's own HistogramLogReader and prints, per interval:
//   <tag|-> <start ms> <end ms> <count> <p50> <p99> <p99.9> <max> <base64 of Java's re-encoding>
// (values as recorded, ns). The test compares every field with what qtp_hist says.
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.Deflater;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

public class HlogDump {
    public static void main(String[] args) throws Exception {
        HistogramLogReader reader = new HistogramLogReader(args[0]);
        EncodableHistogram e;
        while ((e = reader.nextIntervalHistogram()) != null) {
            Histogram h = (Histogram) e;
            ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
            int n = h.encodeIntoCompressedByteBuffer(b, Deflater.BEST_COMPRESSION);
            byte[] enc = new byte[n];
            System.arraycopy(b.array(), 0, enc, 0, n);
            System.out.println((h.getTag() == null ? "-" : h.getTag()) + " " + h.getStartTimeStamp()
                    + " " + h.getEndTimeStamp() + " " + h.getTotalCount() + " "
                    + h.getValueAtPercentile(50.0) + " " + h.getValueAtPercentile(99.0) + " "
                    + h.getValueAtPercentile(99.9) + " " + h.getMaxValue() + " "
                    + Base64.getEncoder().encodeToString(enc));
        }
        reader.close();
    }
}
