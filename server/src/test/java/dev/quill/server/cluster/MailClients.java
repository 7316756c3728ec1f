package dev.quill.server.cluster;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Clients for the cluster tests: Angus Mail to send over SMTP and list an INBOX over POP3 or IMAP, a raw POP3 login. */
final class MailClients {
  private MailClients() {}

  /** Sends a short message with {@code subject} to {@code to} through the SMTP port; throws on any refusal. */
  static void send(int port, String to, String subject) throws MessagingException {
    Properties p = new Properties();
    p.put("mail.smtp.host", "127.0.0.1");
    p.put("mail.smtp.port", String.valueOf(port));
    p.put("mail.smtp.timeout", "20000");
    Session s = Session.getInstance(p);
    MimeMessage m = new MimeMessage(s);
    m.setFrom(new InternetAddress("sender@elsewhere.example"));
    m.setRecipients(Message.RecipientType.TO, to);
    m.setSubject(subject);
    m.setText("Body of " + subject + "\n");
    Transport.send(m);
  }

  static Store connect(String protocol, int port, String user, String password) throws MessagingException {
    Properties p = new Properties();
    p.put("mail." + protocol + ".timeout", "20000");
    Store store = Session.getInstance(p).getStore(protocol);
    store.connect("127.0.0.1", port, user, password);
    return store;
  }

  /** The subjects of the INBOX's messages in order, read with {@code protocol} ("pop3" or "imap"). */
  static List<String> subjects(String protocol, int port, String user, String password) throws MessagingException {
    try (Store store = connect(protocol, port, user, password)) {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      List<String> subjects = new ArrayList<>();
      for (Message m : inbox.getMessages()) {
        subjects.add(m.getSubject());
      }
      return subjects;
    }
  }

  /** The UIDs of the INBOX's messages in order, read with IMAP. */
  static List<Long> imapUids(int port, String user, String password) throws MessagingException {
    try (Store store = connect("imap", port, user, password)) {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      List<Long> uids = new ArrayList<>();
      for (Message m : inbox.getMessages()) {
        uids.add(((UIDFolder) inbox).getUID(m));
      }
      return uids;
    }
  }

  /** Logs in with POP3 over a raw socket and returns the reply to PASS (the maildrop line). */
  static String pop3Login(int port, String user, String password) throws IOException {
    try (RawSession pop = new RawSession(port)) {
      pop.send("USER " + user);
      pop.send("PASS " + password);
      String reply = pop.lastLine;
      pop.send("QUIT");
      return reply;
    }
  }

  /** Logs in with IMAP over a raw socket and returns the tagged reply to LOGIN. */
  static String imapLogin(int port, String user, String password) throws IOException {
    try (RawSession imap = new RawSession(port)) {
      imap.out.write(("a LOGIN \"" + user + "\" \"" + password + "\"\r\n").getBytes(StandardCharsets.US_ASCII));
      String line;
      do {
        line = imap.in.readLine();
      } while (line != null && !line.startsWith("a "));
      return line;
    }
  }

  /** A line-based session on a raw socket, greeting read; {@link #send} reads one reply line. */
  static final class RawSession implements AutoCloseable {
    final Socket socket;
    final BufferedReader in;
    final OutputStream out;
    String lastLine;

    RawSession(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(15_000);
      in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      out = socket.getOutputStream();
      lastLine = in.readLine();
    }

    /** Sends {@code line} and returns the first line of the reply. */
    String send(String line) throws IOException {
      out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
      lastLine = in.readLine();
      return lastLine;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
