// HlogTags - reads a .hlog with HdrHistogram's own HistogramLogReader, adds up the intervals of
// each tag, and prints one line per tag: <tag> <intervals> <count> <p50> <p99> <p99.9> <max>
// (values as recorded, ns). runner_e2e_hlog compares them with the rows of results.jsonl.
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

public class HlogTags {
    public static void main(String[] args) throws Exception {
        HistogramLogReader reader = new HistogramLogReader(args[0]);
        Map<String, Histogram> sum = new LinkedHashMap<>();
        Map<String, Integer> intervals = new LinkedHashMap<>();
        EncodableHistogram e;
        while ((e = reader.nextIntervalHistogram()) != null) {
            Histogram h = (Histogram) e;
            String tag = h.getTag() == null ? "-" : h.getTag();
            Histogram acc = sum.get(tag);
            if (acc == null)
                sum.put(tag, h.copy());
            else
                acc.add(h);
            intervals.merge(tag, 1, Integer::sum);
        }
        reader.close();
        for (Map.Entry<String, Histogram> t : sum.entrySet()) {
            Histogram h = t.getValue();
            System.out.println(t.getKey() + " " + intervals.get(t.getKey()) + " " + h.getTotalCount()
                    + " " + h.getValueAtPercentile(50.0) + " " + h.getValueAtPercentile(99.0) + " "
                    + h.getValueAtPercentile(99.9) + " " + h.getMaxValue());
        }
    }
}
