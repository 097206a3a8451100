// A small oracle that maps custom-artifact payloads the way a Harness delegate does
// (CustomArtifactScriptExecutionOnDelegateNG.getBuildDetails / mapToCustomRepositoryResponse),
// using the same libraries: Jackson databind and Jayway JsonPath with Jackson providers.
// Written for customsrc's conformance tests; it reads JSON-lines cases on stdin and writes
// one JSON line per case on stdout.
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonProvider;
import com.jayway.jsonpath.spi.json.JsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import com.jayway.jsonpath.spi.mapper.MappingProvider;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

public class HarnessMapping {
  static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    Configuration.setDefaults(new Configuration.Defaults() {
      private final JsonProvider jsonProvider = new JacksonJsonProvider();
      private final MappingProvider mappingProvider = new JacksonMappingProvider();
      public JsonProvider jsonProvider() { return jsonProvider; }
      public MappingProvider mappingProvider() { return mappingProvider; }
      public Set<Option> options() { return EnumSet.noneOf(Option.class); }
    });
    MAPPER.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    MAPPER.setSerializationInclusion(JsonInclude.Include.NON_NULL);
  }

  static String prefixed(String path) {
    return path.startsWith("$") ? path : "$." + path;
  }

  static ObjectNode runCase(JsonNode c) {
    ObjectNode out = MAPPER.createObjectNode();
    try {
      String root = prefixed(c.get("array").asText());
      String versionPath = c.get("version").asText();
      Map<String, String> attrs = new LinkedHashMap<>();
      for (JsonNode pair : c.get("attrs")) attrs.put(pair.get(0).asText(), pair.get(1).asText());
      JsonNode tree = MAPPER.readValue(new File(c.get("file").asText()), JsonNode.class);
      String json = MAPPER.writeValueAsString(tree);
      DocumentContext ctx = JsonPath.parse(json);
      List<?> children = ctx.read(root + "[*]");
      ArrayNode arts = out.putArray("artifacts");
      List<String> seen = new ArrayList<>();
      int skipped = 0;
      int duplicates = 0;
      for (int i = 0; i < children.size(); i++) {
        String buildNo = ctx.read(root + "[" + i + "]." + versionPath);
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : attrs.entrySet()) {
          Object v = ctx.read(root + "[" + i + "]." + e.getValue());
          metadata.put(e.getKey(), v.toString());
        }
        if (buildNo == null || buildNo.isEmpty()) { skipped++; continue; }
        if (seen.contains(buildNo)) { duplicates++; continue; }
        seen.add(buildNo);
        ObjectNode a = arts.addObject();
        a.put("version", buildNo);
        ObjectNode m = a.putObject("metadata");
        for (Map.Entry<String, String> e : metadata.entrySet()) m.put(e.getKey(), e.getValue());
      }
      out.put("ok", true);
      out.put("skipped", skipped);
      out.put("duplicates", duplicates);
    } catch (Exception e) {
      out.removeAll();
      out.put("ok", false);
      out.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      System.out.println(MAPPER.writeValueAsString(runCase(MAPPER.readTree(line))));
      System.out.flush();
    }
  }
}
