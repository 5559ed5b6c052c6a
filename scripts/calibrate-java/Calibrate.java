// The LMAX Disruptor 3.4.4 perf tests' throughput shapes, over the Disruptor and over
// java.util.concurrent.ArrayBlockingQueue (one queue per edge), for scripts/calibrate.
//
//   java -cp CLASSES:disruptor.jar Calibrate SHAPE IMPL WAIT EVENTS RING_SIZE WARMUP_PASSES PASSES
//   java -cp CLASSES:disruptor.jar Calibrate versions      (the JVM's and the jar's versions)
//
//   SHAPE     unicast | pipeline | sequencer | fanout | diamond | pingpong
//             (OneToOne, OneToThreePipeline, ThreeToOne, OneToThree multicast, OneToThreeDiamond;
//             PingPong, the latency test's shape run back to back: EVENTS round trips)
//   IMPL      disruptor | abq
//   WAIT      spin | yield | block (BusySpin, Yielding, Blocking WaitStrategy); abq takes only block
//   EVENTS    events published per pass, in total (the sequencer's 3 publishers take EVENTS/3 each)
//   RING_SIZE ring slots (disruptor) or capacity of each queue (abq), a power of two
//
// One JVM runs WARMUP_PASSES passes (they let the JIT compile the loops, as the first of the perf
// tests' 7 runs do) and then PASSES measured ones, each with a fresh ring or fresh queues and fresh
// threads. Every pass prints one line on stdout:
//   pass INDEX warmup|measured EVENTS NANOS EVENTS_PER_S [P50_NS RAW_P50_NS]
// and is checked the way the perf tests check it (the last stage's sum, counter or per-branch
// results against the value computed sequentially); a mismatch exits 1 with the reason on stderr.
// Bad arguments exit 2 with one line. Time runs from the first publish (the consumer threads are
// already started) to the last stage's last event, like the perf tests' start/latch, but read with
// System.nanoTime rather than currentTimeMillis.
//
// The pingpong passes follow PingPongSequencedLatencyTest and PingPongQueueLatencyTest without
// their 1 us pause between pings (qtopo's pingpong cell sends the next ping as soon as the pong is
// back), so their events/s are round trips per second; like the perf tests (and qtopo's cell) they
// time every round trip. Their pass lines have two more fields, P50_NS RAW_P50_NS: the pass's
// median round trip, and the median of as many raw round trips run right after it in this JVM (two
// threads bouncing one AtomicLong: the floor any queue's round trip pays, timed the same way).
//
// The handlers and events are the perf tests' own (ValueAdditionEventHandler, FunctionEventHandler,
// FizzBuzzEventHandler, ValueMutationEventHandler and their queue processors); the perf tests' queue
// variants use LinkedBlockingQueue, these use ArrayBlockingQueue with the same capacity per edge and
// the same element types (boxed Long, long[2] for the pipeline's first edge, Boolean after fizz/buzz).

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

public final class Calibrate
{
    /** One timed pass: returns the nanoseconds of the measured window, throws on a wrong result. */
    interface Pass
    {
        long run(long events, int size, Supplier<WaitStrategy> wait) throws Exception;
    }

    /** The registry: shape name, then its Disruptor pass and its ArrayBlockingQueue pass. */
    private static final Object[][] SHAPES = {
        {"unicast", (Pass) (n, size, wait) -> disruptorValues(n, size, wait, Operation.ADDITION),
         (Pass) Calibrate::abqUnicast},
        {"pipeline", (Pass) Calibrate::disruptorPipeline, (Pass) Calibrate::abqPipeline},
        {"sequencer", (Pass) Calibrate::disruptorSequencer, (Pass) Calibrate::abqSequencer},
        {"fanout", (Pass) (n, size, wait) -> disruptorValues(n, size, wait, Operation.values()),
         (Pass) Calibrate::abqFanout},
        {"diamond", (Pass) Calibrate::disruptorDiamond, (Pass) Calibrate::abqDiamond},
        {"pingpong", (Pass) Calibrate::disruptorPingPong, (Pass) Calibrate::abqPingPong},
    };

    private static final Object[][] WAITS = {
        {"spin", (Supplier<WaitStrategy>) BusySpinWaitStrategy::new},
        {"yield", (Supplier<WaitStrategy>) YieldingWaitStrategy::new},
        {"block", (Supplier<WaitStrategy>) BlockingWaitStrategy::new},
    };

    private static final int PUBLISHERS = 3; // ThreeToOne
    private static final long OPERAND_TWO_INITIAL_VALUE = 777L; // OneToThreePipeline

    public static void main(final String[] args) throws Exception
    {
        if (args.length == 1 && "versions".equals(args[0]))
        {
            versions();
            return;
        }
        if (args.length != 7)
        {
            bad("usage: Calibrate SHAPE IMPL WAIT EVENTS RING_SIZE WARMUP_PASSES PASSES");
        }
        final Object[] shape = find(SHAPES, args[0], "shape");
        final int impl = "disruptor".equals(args[1]) ? 1 : "abq".equals(args[1]) ? 2 : 0;
        if (impl == 0)
        {
            bad("unknown impl '" + args[1] + "' (accepted: disruptor, abq)");
        }
        @SuppressWarnings("unchecked")
        final Supplier<WaitStrategy> wait = (Supplier<WaitStrategy>) find(WAITS, args[2], "wait")[1];
        if (impl == 2 && !"block".equals(args[2]))
        {
            bad("abq takes only wait 'block' (got '" + args[2] + "')");
        }
        final long events = number(args[3], "events", 1, 1L << 40);
        final long size = number(args[4], "ring size", 2, 1 << 30);
        if ((size & (size - 1)) != 0)
        {
            bad("ring size " + size + " is not a power of two");
        }
        final long warmups = number(args[5], "warm-up passes", 0, 1000);
        final long passes = number(args[6], "passes", 1, 1000);
        if ("sequencer".equals(args[0]) && events < PUBLISHERS)
        {
            bad("sequencer needs at least " + PUBLISHERS + " events (one per publisher), got " + events);
        }

        final Pass pass = (Pass) shape[impl];
        for (int i = 0; i < warmups + passes; i++)
        {
            System.gc(); // as the perf tests do before every run
            long nanos = 0;
            try
            {
                nanos = pass.run(events, (int) size, wait);
            }
            catch (final IllegalStateException e)
            {
                System.err.println("Calibrate: pass " + i + " wrong result: " + e.getMessage());
                System.exit(1);
            }
            final long counted = "sequencer".equals(args[0]) ? events / PUBLISHERS * PUBLISHERS : events;
            final String trips = "pingpong".equals(args[0])
                ? String.format(" %d %d", lastP50, rawRoundTrip(events)) : "";
            System.out.printf("pass %d %s %d %d %.1f%s%n", i, i < warmups ? "warmup" : "measured", counted,
                              nanos, counted * 1e9 / nanos, trips);
            System.out.flush();
        }
    }

    /** `Calibrate versions`: the JVM and the Disruptor jar this classpath runs, one per line. */
    private static void versions() throws Exception
    {
        System.out.println("jvm " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        final java.util.Properties pom = new java.util.Properties();
        try (java.io.InputStream in =
                 RingBuffer.class.getResourceAsStream("/META-INF/maven/com.lmax/disruptor/pom.properties"))
        {
            if (in != null)
            {
                pom.load(in);
            }
        }
        System.out.println("disruptor " + pom.getProperty("version", "unknown") + " " +
                           RingBuffer.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    }

    private static Object[] find(final Object[][] table, final String name, final String what)
    {
        final StringBuilder names = new StringBuilder();
        for (final Object[] row : table)
        {
            if (row[0].equals(name))
            {
                return row;
            }
            names.append(names.length() == 0 ? "" : ", ").append(row[0]);
        }
        bad("unknown " + what + " '" + name + "' (accepted: " + names + ")");
        return null;
    }

    private static long number(final String s, final String what, final long min, final long max)
    {
        long v = -1;
        try
        {
            v = Long.parseLong(s);
        }
        catch (final NumberFormatException e)
        {
            bad(what + " '" + s + "' is not a number (accepted: " + min + " to " + max + ")");
        }
        if (v < min || v > max)
        {
            bad(what + " " + v + " out of range (accepted: " + min + " to " + max + ")");
        }
        return v;
    }

    private static void bad(final String message)
    {
        System.err.println("Calibrate: " + message);
        System.exit(2);
    }

    private static void check(final String what, final long expected, final long got)
    {
        if (expected != got)
        {
            throw new IllegalStateException(what + ": expected " + expected + ", got " + got);
        }
    }

    // ---- events and handlers (the perf tests' support classes) ----

    /** MutableLong + padding after the value, like the perf tests' PaddedLong (no false sharing
     *  between the handlers' accumulators). */
    static class MutableLong
    {
        long value;
    }

    static final class PaddedLong extends MutableLong
    {
        volatile long p1, p2, p3, p4, p5, p6 = 7L;
    }

    static final class ValueEvent
    {
        long value;
    }

    static final class FunctionEvent
    {
        long operandOne, operandTwo, stepOneResult, stepTwoResult;
    }

    static final class FizzBuzzEvent
    {
        boolean fizz, buzz;
        long value;

        void setValue(final long v)
        {
            fizz = false;
            buzz = false;
            value = v;
        }
    }

    /** The perf tests' Operation: ADDITION, SUBTRACTION, AND (one per multicast branch). */
    enum Operation
    {
        ADDITION { long op(final long l, final long r) { return l + r; } },
        SUBTRACTION { long op(final long l, final long r) { return l - r; } },
        AND { long op(final long l, final long r) { return l & r; } };

        abstract long op(long lhs, long rhs);
    }

    /** Counts down its latch when it has handled sequence `last` (the perf tests' handlers). */
    abstract static class LatchHandler<T> implements EventHandler<T>
    {
        final PaddedLong value = new PaddedLong();
        final CountDownLatch latch;
        final long last;

        LatchHandler(final CountDownLatch latch, final long last)
        {
            this.latch = latch;
            this.last = last;
        }

        final void reached(final long sequence)
        {
            if (latch != null && sequence == last)
            {
                latch.countDown();
            }
        }
    }

    /** ValueMutationEventHandler; with ADDITION it is the perf tests' ValueAdditionEventHandler. */
    static final class ValueMutationEventHandler extends LatchHandler<ValueEvent>
    {
        private final Operation operation;

        ValueMutationEventHandler(final Operation operation, final CountDownLatch latch, final long last)
        {
            super(latch, last);
            this.operation = operation;
        }

        @Override
        public void onEvent(final ValueEvent event, final long sequence, final boolean endOfBatch)
        {
            value.value = operation.op(value.value, event.value);
            reached(sequence);
        }
    }

    static final class FunctionEventHandler extends LatchHandler<FunctionEvent>
    {
        private final int step;

        FunctionEventHandler(final int step, final CountDownLatch latch, final long last)
        {
            super(latch, last);
            this.step = step;
        }

        @Override
        public void onEvent(final FunctionEvent event, final long sequence, final boolean endOfBatch)
        {
            switch (step)
            {
                case 1:
                    event.stepOneResult = event.operandOne + event.operandTwo;
                    break;
                case 2:
                    event.stepTwoResult = event.stepOneResult + 3L;
                    break;
                default:
                    if ((event.stepTwoResult & 4L) == 4L)
                    {
                        value.value = value.value + 1L;
                    }
                    break;
            }
            reached(sequence);
        }
    }

    static final class FizzBuzzEventHandler extends LatchHandler<FizzBuzzEvent>
    {
        private final int step; // 1 fizz, 2 buzz, 3 fizz-buzz

        FizzBuzzEventHandler(final int step, final CountDownLatch latch, final long last)
        {
            super(latch, last);
            this.step = step;
        }

        @Override
        public void onEvent(final FizzBuzzEvent event, final long sequence, final boolean endOfBatch)
        {
            switch (step)
            {
                case 1:
                    if (0 == (event.value % 3))
                    {
                        event.fizz = true;
                    }
                    break;
                case 2:
                    if (0 == (event.value % 5))
                    {
                        event.buzz = true;
                    }
                    break;
                default:
                    if (event.fizz && event.buzz)
                    {
                        value.value = value.value + 1L;
                    }
                    break;
            }
            reached(sequence);
        }
    }

    // ---- expected results, computed sequentially outside the window (as the perf tests do) ----

    private static long expectedPipeline(final long events)
    {
        long temp = 0L;
        long operandTwo = OPERAND_TWO_INITIAL_VALUE;
        for (long i = 0; i < events; i++)
        {
            final long stepTwoResult = i + operandTwo-- + 3;
            if ((stepTwoResult & 4L) == 4L)
            {
                ++temp;
            }
        }
        return temp;
    }

    private static long expectedFizzBuzz(final long events)
    {
        long temp = 0L;
        for (long i = 0; i < events; i++)
        {
            if (i % 3L == 0 && i % 5L == 0)
            {
                ++temp;
            }
        }
        return temp;
    }

    private static long[] expectedValues(final long events, final Operation... ops)
    {
        final long[] r = new long[ops.length];
        for (long i = 0; i < events; i++)
        {
            for (int k = 0; k < ops.length; k++)
            {
                r[k] = ops[k].op(r[k], i);
            }
        }
        return r;
    }

    private static long sumBelow(final long n)
    {
        return n * (n - 1) / 2; // 0 + 1 + ... + n-1
    }

    // ---- threads ----

    /** Starts each runnable on its own daemon thread (a hung pass cannot keep the JVM alive past
     *  the script's time limit). */
    private static List<Thread> start(final Runnable... runnables)
    {
        final List<Thread> threads = new ArrayList<>();
        for (final Runnable r : runnables)
        {
            final Thread t = new Thread(r);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    private static void halt(final List<Thread> threads, final BatchEventProcessor<?>... processors)
        throws InterruptedException
    {
        for (final BatchEventProcessor<?> p : processors)
        {
            p.halt();
        }
        for (final Thread t : threads)
        {
            t.join();
        }
    }

    // ---- Disruptor passes ----

    /** OneToThreePipelineSequencedThroughputTest: 1P -> step one -> step two -> step three. */
    private static long disruptorPipeline(final long events, final int size, final Supplier<WaitStrategy> wait)
        throws Exception
    {
        final long expected = expectedPipeline(events);
        final RingBuffer<FunctionEvent> rb =
            RingBuffer.createSingleProducer(FunctionEvent::new, size, wait.get());
        final CountDownLatch latch = new CountDownLatch(1);
        final BatchEventProcessor<FunctionEvent> one =
            new BatchEventProcessor<>(rb, rb.newBarrier(), new FunctionEventHandler(1, null, 0));
        final BatchEventProcessor<FunctionEvent> two = new BatchEventProcessor<>(
            rb, rb.newBarrier(one.getSequence()), new FunctionEventHandler(2, null, 0));
        final FunctionEventHandler threeHandler = new FunctionEventHandler(3, latch, events - 1);
        final BatchEventProcessor<FunctionEvent> three =
            new BatchEventProcessor<>(rb, rb.newBarrier(two.getSequence()), threeHandler);
        rb.addGatingSequences(three.getSequence());
        final List<Thread> threads = start(one, two, three);

        final long t0 = System.nanoTime();
        long operandTwo = OPERAND_TWO_INITIAL_VALUE;
        for (long i = 0; i < events; i++)
        {
            final long sequence = rb.next();
            final FunctionEvent event = rb.get(sequence);
            event.operandOne = i;
            event.operandTwo = operandTwo--;
            rb.publish(sequence);
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        halt(threads, one, two, three);
        check("pipeline step-three counter", expected, threeHandler.value.value);
        return nanos;
    }

    /** ThreeToOneSequencedThroughputTest: 3 ValuePublishers (started together through a
     *  CyclicBarrier) -> ValueAdditionEventHandler, multi-producer ring. */
    private static long disruptorSequencer(final long events, final int size, final Supplier<WaitStrategy> wait)
        throws Exception
    {
        final long each = events / PUBLISHERS;
        final RingBuffer<ValueEvent> rb = RingBuffer.createMultiProducer(ValueEvent::new, size, wait.get());
        final CountDownLatch latch = new CountDownLatch(1);
        final ValueMutationEventHandler handler = new ValueMutationEventHandler(Operation.ADDITION, latch, each * PUBLISHERS - 1);
        final BatchEventProcessor<ValueEvent> processor =
            new BatchEventProcessor<>(rb, rb.newBarrier(), handler);
        rb.addGatingSequences(processor.getSequence());
        final CyclicBarrier go = new CyclicBarrier(PUBLISHERS + 1);
        final Runnable publisher = () -> {
            try
            {
                go.await();
                for (long i = 0; i < each; i++)
                {
                    final long sequence = rb.next();
                    rb.get(sequence).value = i;
                    rb.publish(sequence);
                }
            }
            catch (final Exception e)
            {
                throw new RuntimeException(e);
            }
        };
        final List<Thread> threads = start(processor);
        final List<Thread> publishers = start(publisher, publisher, publisher);

        final long t0 = System.nanoTime();
        go.await();
        for (final Thread t : publishers)
        {
            t.join();
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        halt(threads, processor);
        check("sequencer sum", PUBLISHERS * sumBelow(each), handler.value.value);
        return nanos;
    }

    /** OneToOneSequencedThroughputTest (unicast: ADDITION, the perf tests' ValueAdditionEventHandler)
     *  and OneToThreeSequencedThroughputTest (fanout: ADDITION, SUBTRACTION, AND): 1P -> one
     *  ValueMutationEventHandler per operation, all on the cursor's barrier, single-producer ring. */
    private static long disruptorValues(final long events, final int size, final Supplier<WaitStrategy> wait,
                                        final Operation... ops) throws Exception
    {
        final long[] expected = expectedValues(events, ops);
        final RingBuffer<ValueEvent> rb = RingBuffer.createSingleProducer(ValueEvent::new, size, wait.get());
        final SequenceBarrier barrier = rb.newBarrier();
        final CountDownLatch latch = new CountDownLatch(ops.length);
        final ValueMutationEventHandler[] handlers = new ValueMutationEventHandler[ops.length];
        final BatchEventProcessor<?>[] processors = new BatchEventProcessor<?>[ops.length];
        for (int i = 0; i < ops.length; i++)
        {
            handlers[i] = new ValueMutationEventHandler(ops[i], latch, events - 1);
            final BatchEventProcessor<ValueEvent> p = new BatchEventProcessor<>(rb, barrier, handlers[i]);
            processors[i] = p;
            rb.addGatingSequences(p.getSequence());
        }
        final List<Thread> threads = start(processors);

        final long t0 = System.nanoTime();
        for (long i = 0; i < events; i++)
        {
            final long sequence = rb.next();
            rb.get(sequence).value = i;
            rb.publish(sequence);
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        halt(threads, processors);
        for (int i = 0; i < ops.length; i++)
        {
            check("handler " + ops[i], expected[i], handlers[i].value.value);
        }
        return nanos;
    }

    /** OneToThreeDiamondSequencedThroughputTest: 1P -> {fizz, buzz} -> fizz-buzz. */
    private static long disruptorDiamond(final long events, final int size, final Supplier<WaitStrategy> wait)
        throws Exception
    {
        final long expected = expectedFizzBuzz(events);
        final RingBuffer<FizzBuzzEvent> rb =
            RingBuffer.createSingleProducer(FizzBuzzEvent::new, size, wait.get());
        final SequenceBarrier barrier = rb.newBarrier();
        final CountDownLatch latch = new CountDownLatch(1);
        final BatchEventProcessor<FizzBuzzEvent> fizz =
            new BatchEventProcessor<>(rb, barrier, new FizzBuzzEventHandler(1, null, 0));
        final BatchEventProcessor<FizzBuzzEvent> buzz =
            new BatchEventProcessor<>(rb, barrier, new FizzBuzzEventHandler(2, null, 0));
        final FizzBuzzEventHandler fizzBuzzHandler = new FizzBuzzEventHandler(3, latch, events - 1);
        final BatchEventProcessor<FizzBuzzEvent> fizzBuzz = new BatchEventProcessor<>(
            rb, rb.newBarrier(fizz.getSequence(), buzz.getSequence()), fizzBuzzHandler);
        rb.addGatingSequences(fizzBuzz.getSequence());
        final List<Thread> threads = start(fizz, buzz, fizzBuzz);

        final long t0 = System.nanoTime();
        for (long i = 0; i < events; i++)
        {
            final long sequence = rb.next();
            rb.get(sequence).setValue(i);
            rb.publish(sequence);
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        halt(threads, fizz, buzz, fizzBuzz);
        check("diamond fizz-buzz counter", expected, fizzBuzzHandler.value.value);
        return nanos;
    }

    /** PingPongSequencedLatencyTest's Pinger: on the pong ring; each pong that comes back ends a
     *  round trip (timed with System.nanoTime, as the perf test's histogram records it) and sends
     *  the next ping. */
    static final class Pinger implements EventHandler<ValueEvent>
    {
        private final RingBuffer<ValueEvent> ping;
        private final long events;
        private final CountDownLatch latch;
        final RoundTrips trips = new RoundTrips();
        long sent, wrong, t0;

        Pinger(final RingBuffer<ValueEvent> ping, final long events, final CountDownLatch latch)
        {
            this.ping = ping;
            this.events = events;
            this.latch = latch;
        }

        void send()
        {
            t0 = System.nanoTime();
            final long sequence = ping.next();
            ping.get(sequence).value = sent++;
            ping.publish(sequence);
        }

        @Override
        public void onEvent(final ValueEvent event, final long sequence, final boolean endOfBatch)
        {
            trips.record(System.nanoTime() - t0);
            if (event.value != sequence)
            {
                wrong++;
            }
            if (sent == events)
            {
                latch.countDown();
            }
            else
            {
                send();
            }
        }
    }

    /** PingPongSequencedLatencyTest's Ponger: on the ping ring, echoes each ping into the pong ring. */
    static final class Ponger implements EventHandler<ValueEvent>
    {
        private final RingBuffer<ValueEvent> pong;

        Ponger(final RingBuffer<ValueEvent> pong)
        {
            this.pong = pong;
        }

        @Override
        public void onEvent(final ValueEvent event, final long sequence, final boolean endOfBatch)
        {
            final long s = pong.next();
            pong.get(s).value = event.value;
            pong.publish(s);
        }
    }

    /** PingPongSequencedLatencyTest, pings back to back: a Pinger on the pong ring and a Ponger on
     *  the ping ring, one thread each, `events` round trips. */
    private static long disruptorPingPong(final long events, final int size, final Supplier<WaitStrategy> wait)
        throws Exception
    {
        final RingBuffer<ValueEvent> ping = RingBuffer.createSingleProducer(ValueEvent::new, size, wait.get());
        final RingBuffer<ValueEvent> pong = RingBuffer.createSingleProducer(ValueEvent::new, size, wait.get());
        final CountDownLatch latch = new CountDownLatch(1);
        final Pinger pinger = new Pinger(ping, events, latch);
        final BatchEventProcessor<ValueEvent> pingerProcessor =
            new BatchEventProcessor<>(pong, pong.newBarrier(), pinger);
        final BatchEventProcessor<ValueEvent> pongerProcessor =
            new BatchEventProcessor<>(ping, ping.newBarrier(), new Ponger(pong));
        pong.addGatingSequences(pingerProcessor.getSequence());
        ping.addGatingSequences(pongerProcessor.getSequence());
        final List<Thread> threads = start(pingerProcessor, pongerProcessor);
        while (!pingerProcessor.isRunning() || !pongerProcessor.isRunning())
        {
            Thread.yield(); // the first ping goes out once both wait for events
        }

        final long t0 = System.nanoTime();
        pinger.send(); // the rest are sent by the Pinger's thread
        latch.await();
        final long nanos = System.nanoTime() - t0;

        halt(threads, pingerProcessor, pongerProcessor);
        check("pingpong round trips", events, pinger.sent);
        check("pingpong pongs not matching their ping", 0, pinger.wrong);
        pinger.trips.finish("pingpong", events, nanos);
        return nanos;
    }

    // ---- ArrayBlockingQueue passes (the perf tests' queue variants, one queue per edge) ----

    /** A queue processor: takes `count` elements, then counts down the latch and ends (the perf
     *  tests' processors loop until interrupted; this one needs no interrupt to stop). */
    private abstract static class QueueProcessor implements Runnable
    {
        final CountDownLatch latch;
        final long count;
        long value;

        QueueProcessor(final CountDownLatch latch, final long count)
        {
            this.latch = latch;
            this.count = count;
        }

        abstract void step() throws InterruptedException;

        @Override
        public final void run()
        {
            try
            {
                for (long i = 0; i < count; i++)
                {
                    step();
                }
            }
            catch (final InterruptedException e)
            {
                return;
            }
            if (latch != null)
            {
                latch.countDown();
            }
        }
    }

    private static <T> BlockingQueue<T> queue(final int size)
    {
        return new ArrayBlockingQueue<>(size);
    }

    private static void join(final List<Thread> threads) throws InterruptedException
    {
        for (final Thread t : threads)
        {
            t.join();
        }
    }

    /** OneToOneQueueThroughputTest: 1P puts 3L -> ValueAdditionQueueProcessor. */
    private static long abqUnicast(final long events, final int size, final Supplier<WaitStrategy> unused)
        throws Exception
    {
        final BlockingQueue<Long> q = queue(size);
        final CountDownLatch latch = new CountDownLatch(1);
        final QueueProcessor consumer = new QueueProcessor(latch, events)
        {
            @Override
            void step() throws InterruptedException
            {
                value += q.take().longValue();
            }
        };
        final List<Thread> threads = start(consumer);

        final long t0 = System.nanoTime();
        for (long i = 0; i < events; i++)
        {
            q.put(3L);
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        join(threads);
        check("unicast sum", 3L * events, consumer.value);
        return nanos;
    }

    /** OneToThreePipelineQueueThroughputTest: long[2] -> step one -> Long -> step two -> Long -> step
     *  three (FunctionQueueProcessor). */
    private static long abqPipeline(final long events, final int size, final Supplier<WaitStrategy> unused)
        throws Exception
    {
        final long expected = expectedPipeline(events);
        final BlockingQueue<long[]> q1 = queue(size);
        final BlockingQueue<Long> q2 = queue(size);
        final BlockingQueue<Long> q3 = queue(size);
        final CountDownLatch latch = new CountDownLatch(1);
        final QueueProcessor one = new QueueProcessor(null, events)
        {
            @Override
            void step() throws InterruptedException
            {
                final long[] values = q1.take();
                q2.put(Long.valueOf(values[0] + values[1]));
            }
        };
        final QueueProcessor two = new QueueProcessor(null, events)
        {
            @Override
            void step() throws InterruptedException
            {
                q3.put(Long.valueOf(q2.take().longValue() + 3));
            }
        };
        final QueueProcessor three = new QueueProcessor(latch, events)
        {
            @Override
            void step() throws InterruptedException
            {
                if ((q3.take().longValue() & 4L) == 4L)
                {
                    ++value;
                }
            }
        };
        final List<Thread> threads = start(one, two, three);

        final long t0 = System.nanoTime();
        long operandTwo = OPERAND_TWO_INITIAL_VALUE;
        for (long i = 0; i < events; i++)
        {
            final long[] values = new long[2];
            values[0] = i;
            values[1] = operandTwo--;
            q1.put(values);
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        join(threads);
        check("pipeline step-three counter", expected, three.value);
        return nanos;
    }

    /** ThreeToOneQueueThroughputTest: 3 ValueQueuePublishers -> one queue -> ValueAdditionQueueProcessor. */
    private static long abqSequencer(final long events, final int size, final Supplier<WaitStrategy> unused)
        throws Exception
    {
        final long each = events / PUBLISHERS;
        final BlockingQueue<Long> q = queue(size);
        final CountDownLatch latch = new CountDownLatch(1);
        final QueueProcessor consumer = new QueueProcessor(latch, each * PUBLISHERS)
        {
            @Override
            void step() throws InterruptedException
            {
                value += q.take().longValue();
            }
        };
        final CyclicBarrier go = new CyclicBarrier(PUBLISHERS + 1);
        final Runnable publisher = () -> {
            try
            {
                go.await();
                for (long i = 0; i < each; i++)
                {
                    q.put(Long.valueOf(i));
                }
            }
            catch (final Exception e)
            {
                throw new RuntimeException(e);
            }
        };
        final List<Thread> threads = start(consumer);
        final List<Thread> publishers = start(publisher, publisher, publisher);

        final long t0 = System.nanoTime();
        go.await();
        join(publishers);
        latch.await();
        final long nanos = System.nanoTime() - t0;

        join(threads);
        check("sequencer sum", PUBLISHERS * sumBelow(each), consumer.value);
        return nanos;
    }

    /** OneToThreeQueueThroughputTest: 1P puts each Long into 3 queues -> ValueMutationQueueProcessors. */
    private static long abqFanout(final long events, final int size, final Supplier<WaitStrategy> unused)
        throws Exception
    {
        final long[] expected = expectedValues(events, Operation.values());
        final CountDownLatch latch = new CountDownLatch(3);
        final Operation[] ops = Operation.values();
        final List<BlockingQueue<Long>> queues = new ArrayList<>();
        final QueueProcessor[] processors = new QueueProcessor[3];
        for (int i = 0; i < 3; i++)
        {
            final BlockingQueue<Long> q = queue(size);
            final Operation op = ops[i];
            queues.add(q);
            processors[i] = new QueueProcessor(latch, events)
            {
                @Override
                void step() throws InterruptedException
                {
                    value = op.op(value, q.take().longValue());
                }
            };
        }
        final List<Thread> threads = start(processors);

        final long t0 = System.nanoTime();
        for (long i = 0; i < events; i++)
        {
            final Long value = Long.valueOf(i);
            for (final BlockingQueue<Long> q : queues)
            {
                q.put(value);
            }
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        join(threads);
        for (int i = 0; i < 3; i++)
        {
            check("fanout " + ops[i], expected[i], processors[i].value);
        }
        return nanos;
    }

    /** OneToThreeDiamondQueueThroughputTest: 1P puts each Long into fizz's and buzz's input queues;
     *  each puts a Boolean into its output queue; fizz-buzz takes one from each. */
    private static long abqDiamond(final long events, final int size, final Supplier<WaitStrategy> unused)
        throws Exception
    {
        final long expected = expectedFizzBuzz(events);
        final BlockingQueue<Long> fizzIn = queue(size);
        final BlockingQueue<Long> buzzIn = queue(size);
        final BlockingQueue<Boolean> fizzOut = queue(size);
        final BlockingQueue<Boolean> buzzOut = queue(size);
        final CountDownLatch latch = new CountDownLatch(1);
        final QueueProcessor fizz = new QueueProcessor(null, events)
        {
            @Override
            void step() throws InterruptedException
            {
                fizzOut.put(Boolean.valueOf(0 == (fizzIn.take().longValue() % 3)));
            }
        };
        final QueueProcessor buzz = new QueueProcessor(null, events)
        {
            @Override
            void step() throws InterruptedException
            {
                buzzOut.put(Boolean.valueOf(0 == (buzzIn.take().longValue() % 5)));
            }
        };
        final QueueProcessor fizzBuzz = new QueueProcessor(latch, events)
        {
            @Override
            void step() throws InterruptedException
            {
                final boolean f = fizzOut.take().booleanValue();
                final boolean b = buzzOut.take().booleanValue();
                if (f && b)
                {
                    ++value;
                }
            }
        };
        final List<Thread> threads = start(fizz, buzz, fizzBuzz);

        final long t0 = System.nanoTime();
        for (long i = 0; i < events; i++)
        {
            final Long value = Long.valueOf(i);
            fizzIn.put(value);
            buzzIn.put(value);
        }
        latch.await();
        final long nanos = System.nanoTime() - t0;

        join(threads);
        check("diamond fizz-buzz counter", expected, fizzBuzz.value);
        return nanos;
    }

    /** PingPongQueueLatencyTest, pings back to back: this thread puts into the ping queue and takes
     *  from the pong queue; a QueueProcessor echoes each ping. */
    private static long abqPingPong(final long events, final int size, final Supplier<WaitStrategy> unused)
        throws Exception
    {
        final BlockingQueue<Long> ping = queue(size);
        final BlockingQueue<Long> pong = queue(size);
        final QueueProcessor ponger = new QueueProcessor(null, events)
        {
            @Override
            void step() throws InterruptedException
            {
                pong.put(ping.take());
            }
        };
        final List<Thread> threads = start(ponger);

        final RoundTrips trips = new RoundTrips();
        long wrong = 0;
        final long t0 = System.nanoTime();
        for (long i = 0; i < events; i++)
        {
            final long t = System.nanoTime();
            ping.put(Long.valueOf(i));
            if (pong.take().longValue() != i)
            {
                wrong++;
            }
            trips.record(System.nanoTime() - t);
        }
        final long nanos = System.nanoTime() - t0;

        join(threads);
        check("pingpong pongs not matching their ping", 0, wrong);
        trips.finish("pingpong", events, nanos);
        return nanos;
    }

    // ---- round trips ----

    /** The median round trip of the last pingpong pass (main prints it). */
    private static long lastP50;

    /** Round trips in ns, counted in buckets exact below 2048 ns and 1/1024 wide (relative) above:
     *  224 KB of counters however many round trips, of which a ring's round trips touch 8 KB. */
    static final class RoundTrips
    {
        private static final int EXACT = 2048, SUB = 1024;
        private final long[] counts = new long[EXACT + 53 * SUB];
        private long n, sum;

        void record(final long ns)
        {
            final long v = ns < 0 ? 0 : ns;
            counts[bucket(v)]++;
            n++;
            sum += v;
        }

        private static int bucket(final long v)
        {
            if (v < EXACT)
            {
                return (int) v;
            }
            final int e = 63 - Long.numberOfLeadingZeros(v); // >= 11
            return EXACT + (e - 11) * SUB + (int) ((v >> (e - 10)) & (SUB - 1));
        }

        private static long lower(final int b)
        {
            if (b < EXACT)
            {
                return b;
            }
            final int e = (b - EXACT) / SUB + 11;
            return (long) (SUB + (b - EXACT) % SUB) << (e - 10);
        }

        long median()
        {
            long seen = 0;
            for (int b = 0; b < counts.length; b++)
            {
                seen += counts[b];
                if (2 * seen > n)
                {
                    return lower(b);
                }
            }
            return 0;
        }

        /** Checks the count and that the round trips fit in the pass; sets lastP50. */
        void finish(final String what, final long events, final long nanos)
        {
            check(what + " round trips timed", events, n);
            check(what + " round trips timed longer than the pass", 1, sum <= nanos ? 1 : 0);
            lastP50 = median();
        }
    }

    /** `events` raw round trips between this thread and another over one AtomicLong (each side
     *  spins with Thread.onSpinWait, as BusySpinWaitStrategy does): their median, in ns. */
    private static long rawRoundTrip(final long events) throws Exception
    {
        final AtomicLong line = new AtomicLong();
        final List<Thread> threads = start(() -> {
            for (long i = 0; i < events; i++)
            {
                while (line.get() != 2 * i + 1)
                {
                    Thread.onSpinWait();
                }
                line.set(2 * i + 2);
            }
        });
        final RoundTrips trips = new RoundTrips();
        for (long i = 0; i < events; i++)
        {
            final long t = System.nanoTime();
            line.set(2 * i + 1);
            while (line.get() != 2 * i + 2)
            {
                Thread.onSpinWait();
            }
            trips.record(System.nanoTime() - t);
        }
        join(threads);
        check("raw round trips timed", events, trips.n);
        return trips.median();
    }
}
