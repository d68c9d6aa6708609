package org.dpmammo.testing;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.DatagramSocket;
import java.net.ProtocolFamily;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A test-only launcher that runs a main class in a JVM where every way Java code can make a socket is a recorded
 * failure: {@link Socket} and {@link ServerSocket} (and so {@code HttpURLConnection} and every {@code java.net.URL}
 * stream) through JVM-wide socket factories, {@link DatagramSocket} through its factory, and every NIO channel
 * ({@code SocketChannel}, {@code ServerSocketChannel}, {@code DatagramChannel}, and so {@code java.net.http.HttpClient})
 * through a {@link SelectorProvider} that refuses to open them. An attempt throws at the caller and is also recorded,
 * so a program that swallows the exception still fails: the JVM then exits with {@link #EXIT_NETWORK} and the stack
 * of each attempt on stderr, whatever status the program chose.
 *
 * <p>usage: {@code java -Djava.nio.channels.spi.SelectorProvider=org.dpmammo.testing.NoNetwork$Provider
 * --add-exports java.base/sun.nio.ch=ALL-UNNAMED -cp ... org.dpmammo.testing.NoNetwork MAIN_CLASS ARGS...}
 * ({@link #jvmOptions()}). Name resolution alone (an {@code InetAddress} lookup) is not a connection and not seen.
 */
public final class NoNetwork {
    /** The exit status of a JVM in which any socket was asked for. */
    public static final int EXIT_NETWORK = 97;
    private static final List<String> ATTEMPTS = new ArrayList<>();

    private NoNetwork() {}

    /** The JVM options the child needs besides the class path. */
    public static List<String> jvmOptions() {
        return List.of("-Djava.nio.channels.spi.SelectorProvider=" + Provider.class.getName(), "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED");
    }

    public static void main(String[] args) throws Throwable {
        if (!(SelectorProvider.provider() instanceof Provider)) {
            throw new IllegalStateException("start the JVM with " + jvmOptions() + ": NIO channels would not be guarded");
        }
        Socket.setSocketImplFactory(() -> refuse("java.net.Socket"));
        ServerSocket.setSocketFactory(() -> refuse("java.net.ServerSocket"));
        @SuppressWarnings("deprecation")
        Runnable datagrams = () -> {
            try {
                DatagramSocket.setDatagramSocketImplFactory(() -> refuse("java.net.DatagramSocket"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
        datagrams.run();
        // A program that ends with System.exit (the CLI does) still reports: the hook overrides its status.
        Runtime.getRuntime().addShutdownHook(new Thread(NoNetwork::haltIfAttempted));
        try {
            Class.forName(args[0]).getMethod("main", String[].class).invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            haltIfAttempted();
            throw e.getCause();
        }
        haltIfAttempted();
    }

    private static void haltIfAttempted() {
        synchronized (ATTEMPTS) {
            if (ATTEMPTS.isEmpty()) return;
            System.err.flush();
            for (String a : ATTEMPTS) System.err.println(a);
            System.err.flush();
        }
        Runtime.getRuntime().halt(EXIT_NETWORK);
    }

    /** Records the attempt with its stack and fails it; the return type lets the factories call it. */
    private static <T> T refuse(String what) {
        StringBuilder sb = new StringBuilder("NETWORK ATTEMPT: " + what);
        for (StackTraceElement e : new Throwable().getStackTrace()) sb.append("\n    at ").append(e);
        synchronized (ATTEMPTS) {
            ATTEMPTS.add(sb.toString());
        }
        throw new SecurityException("no network in this run: " + what + " refused");
    }

    /** The NIO guard: pipes and selectors (local) work as usual; every network channel is refused. */
    public static final class Provider extends SelectorProvider {
        private final SelectorProvider real;

        public Provider() {
            try {
                real = (SelectorProvider) Class.forName("sun.nio.ch.DefaultSelectorProvider").getMethod("get").invoke(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("the JDK's own selector provider is not reachable (start with " + jvmOptions() + ")", e);
            }
        }

        @Override
        public DatagramChannel openDatagramChannel() {
            return refuse("java.nio.channels.DatagramChannel");
        }

        @Override
        public DatagramChannel openDatagramChannel(ProtocolFamily family) {
            return refuse("java.nio.channels.DatagramChannel");
        }

        @Override
        public Pipe openPipe() throws IOException {
            return real.openPipe();
        }

        @Override
        public AbstractSelector openSelector() throws IOException {
            return real.openSelector();
        }

        @Override
        public ServerSocketChannel openServerSocketChannel() {
            return refuse("java.nio.channels.ServerSocketChannel");
        }

        @Override
        public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) {
            return refuse("java.nio.channels.ServerSocketChannel");
        }

        @Override
        public SocketChannel openSocketChannel() {
            return refuse("java.nio.channels.SocketChannel");
        }

        @Override
        public SocketChannel openSocketChannel(ProtocolFamily family) {
            return refuse("java.nio.channels.SocketChannel");
        }
    }

    /** A program that tries one way of opening a connection and swallows the failure, to show the guard fails it. */
    public static final class Probe {
        public static void main(String[] args) {
            try {
                switch (args[0]) {
                    case "socket" -> new Socket("127.0.0.1", 9).close();
                    case "server-socket" -> new ServerSocket(0).close();
                    case "datagram" -> new DatagramSocket().close();
                    case "url" -> new java.net.URL("http://127.0.0.1:9/").openStream().close();
                    case "socket-channel" -> SocketChannel.open().close();
                    case "http-client" -> java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:9/")).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
                    case "none" -> { }
                    default -> throw new IllegalArgumentException(args[0]);
                }
            } catch (Exception | Error swallowed) {
                // what a careless program does; the guard must still report the attempt
            }
        }
    }
}
