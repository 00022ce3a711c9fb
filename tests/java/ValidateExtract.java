import java.io.BufferedInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Validates an extract as a receiver in Java would: the JDK's standard validator
 * (javax.xml.validation) with secure processing on, nothing but the JDK.
 *
 * <p>Run with the Java 11+ source launcher: {@code java ValidateExtract.java <xsd> <xml>}. An
 * XML file whose name ends in {@code .gz} is read through gzip. Prints "valid" and the seconds
 * taken, exit 0; or every error with its line, exit 1.
 */
public class ValidateExtract {
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java ValidateExtract.java <xsd> <xml or xml.gz>");
            System.exit(2);
        }
        long start = System.nanoTime();
        int[] errors = {0};
        try {
            SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            Schema schema = factory.newSchema(new File(args[0]));
            Validator validator = schema.newValidator();
            validator.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            validator.setErrorHandler(new ErrorHandler() {
                public void warning(SAXParseException e) {
                    report("warning", e);
                }

                public void error(SAXParseException e) {
                    errors[0]++;
                    report("error", e);
                }

                public void fatalError(SAXParseException e) throws SAXException {
                    errors[0]++;
                    report("fatal", e);
                    throw e;
                }
            });
            try (InputStream xml = open(args[1])) {
                validator.validate(new StreamSource(xml, new File(args[1]).toURI().toString()));
            }
        } catch (SAXException e) {
            if (errors[0] == 0) { // a schema that does not load, not a document error
                System.err.println(args[0] + ": " + e.getMessage());
                System.exit(1);
            }
        }
        if (errors[0] > 0) {
            System.err.println(args[1] + ": " + errors[0] + " error(s)");
            System.exit(1);
        }
        System.out.printf("valid %.2f s%n", (System.nanoTime() - start) / 1e9);
    }

    private static InputStream open(String path) throws IOException {
        InputStream in = new BufferedInputStream(new FileInputStream(path), 1 << 16);
        return path.endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    private static void report(String kind, SAXParseException e) {
        System.err.println(kind + " line " + e.getLineNumber() + ": " + e.getMessage());
    }
}
