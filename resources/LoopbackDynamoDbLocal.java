import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local listens on every interface and has no option to change that; its data accepts
 * any credentials. This launcher builds the server from the usual command line, then binds its
 * Jetty connectors to 127.0.0.1 before starting it, so the local state is reachable from this
 * machine only. Run with Java's single-file source launcher (`java LoopbackDynamoDbLocal.java …`).
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost("127.0.0.1");
        bound++;
      }
    }
    if (bound == 0) throw new IllegalStateException("no connector to bind to 127.0.0.1; refusing to listen on every interface");
    proxy.start();
    System.out.println("vpn-chatops: DynamoDB Local listening on 127.0.0.1 only");
    proxy.join();
  }
}
