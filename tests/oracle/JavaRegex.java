import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.io.BufferedReader;
import java.io.InputStreamReader;

/**
 * How Harness chooses a version by regex: Pattern.compile(r).matcher(version).find().
 * Each input line: base64(pattern) then base64(version) fields, tab-separated (UTF-8).
 * Each output line: "ERR<TAB>base64(description)<TAB>index" when Java rejects the pattern, else
 * "OK" then one field per version: "start:end" of the first match, or "-" when none.
 */
public class JavaRegex {
    public static void main(String[] args) throws Exception {
        Base64.Decoder dec = Base64.getDecoder();
        Base64.Encoder enc = Base64.getEncoder();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            String[] fields = line.split("\t", -1);
            String regex = new String(dec.decode(fields[0]), StandardCharsets.UTF_8);
            Pattern pattern;
            try {
                pattern = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                out.append("ERR\t").append(enc.encodeToString(e.getDescription().getBytes(StandardCharsets.UTF_8)))
                   .append('\t').append(e.getIndex()).append('\n');
                continue;
            }
            out.append("OK");
            for (int i = 1; i < fields.length; i++) {
                String version = new String(dec.decode(fields[i]), StandardCharsets.UTF_8);
                Matcher m = pattern.matcher(version);
                out.append('\t');
                if (m.find()) {
                    out.append(version.codePointCount(0, m.start())).append(':').append(version.codePointCount(0, m.end()));
                } else {
                    out.append('-');
                }
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
