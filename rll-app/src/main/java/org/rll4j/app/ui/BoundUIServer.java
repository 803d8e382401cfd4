package org.rll4j.app.ui;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Set;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.deeplearning4j.ui.VertxUIServer;

/**
 * DL4J's {@link VertxUIServer} listening on a chosen host address and port.
 *
 * <p>Why: in DL4J 1.0.0-M2.1, {@code VertxUIServer.start} calls
 * {@code vertx.createHttpServer().requestHandler(r).listen(port, handler)}, and Vert.x 3.9's
 * {@code listen(int, Handler)} always binds {@code 0.0.0.0}, so the stock server is reachable from
 * the whole network. Neither DL4J nor Vert.x reads a system property for the host. This subclass
 * hands the verticle a {@link Vertx} whose HTTP servers listen on {@link #host} and {@link #port}
 * instead of what DL4J asks for; everything else (routes, modules, storages, stop) is DL4J's own
 * code. The DL4J port property {@code org.deeplearning4j.ui.port} is therefore not consulted.
 *
 * <p>Both objects are {@link Proxy} instances implementing every interface of the real ones, so
 * casts inside Vert.x (for example to {@code VertxInternal}) keep working.
 */
final class BoundUIServer extends VertxUIServer {

    private final String host;
    private final int port;

    /**
     * Like every {@link VertxUIServer}, the new object becomes the JVM's
     * {@code VertxUIServer.getInstance()}; deploy it at once.
     *
     * @param host the address to listen on, e.g. {@code 127.0.0.1}
     * @param port the port, 0 for a free one
     */
    BoundUIServer(String host, int port) {
        this.host = host;
        this.port = port;
    }

    @Override
    public void init(Vertx vertx, Context context) {
        super.init(proxy(vertx, new VertxHandler(vertx)), context);
    }

    /** Host address the server listens on. */
    String host() {
        return host;
    }

    private final class VertxHandler implements InvocationHandler {
        private final Vertx real;

        VertxHandler(Vertx real) {
            this.real = real;
        }

        @Override
        public Object invoke(Object self, Method method, Object[] args) throws Throwable {
            Object result = call(real, method, args);
            if (result instanceof HttpServer server && method.getName().equals("createHttpServer")) {
                return proxy(server, new HttpServerHandler(server));
            }
            return result;
        }
    }

    private final class HttpServerHandler implements InvocationHandler {
        private final HttpServer real;

        HttpServerHandler(HttpServer real) {
            this.real = real;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Object invoke(Object self, Method method, Object[] args) throws Throwable {
            Object result;
            if (method.getName().equals("listen")) {
                Handler<AsyncResult<HttpServer>> handler = null;
                if (args != null && args.length > 0 && args[args.length - 1] instanceof Handler<?> h) {
                    handler = (Handler<AsyncResult<HttpServer>>) h;
                }
                result = handler == null ? real.listen(port, host) : real.listen(port, host, handler);
            } else {
                result = call(real, method, args);
            }
            return result == real ? self : result;   // keep fluent chains on the proxy
        }
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(T real, InvocationHandler handler) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> c = real.getClass(); c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                interfaces.add(i);
            }
        }
        return (T) Proxy.newProxyInstance(real.getClass().getClassLoader(), interfaces.toArray(new Class<?>[0]), handler);
    }
}
