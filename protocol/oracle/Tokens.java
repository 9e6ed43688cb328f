package spark.oracle;

import io.jsonwebtoken.JwtBuilder;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.io.Decoders;
import io.jsonwebtoken.security.Keys;
import io.jsonwebtoken.security.MacAlgorithm;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Date;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * JSON Web Signatures made by jjwt, the library behind Spark 4's {@code org.apache.spark.ui.JWSFilter}
 * (compiled only against distributions that ship it).
 */
final class Tokens {
    private Tokens() {}

    /**
     * A compact JWS: {@code key} base64url as the filter's {@code secretKey} parameter takes it,
     * {@code alg} HS256, HS384 or HS512, then claims as {@code name=value}: {@code exp} and
     * {@code nbf} in seconds since the epoch, anything else as a string claim.
     */
    static String jws(String key, String alg, String[] claims) {
        SecretKey secret = Keys.hmacShaKeyFor(Decoders.BASE64URL.decode(key));
        MacAlgorithm algorithm = switch (alg) {
            case "HS256" -> Jwts.SIG.HS256;
            case "HS384" -> Jwts.SIG.HS384;
            case "HS512" -> Jwts.SIG.HS512;
            default -> throw new IllegalArgumentException("unknown algorithm " + alg);
        };
        JwtBuilder builder = Jwts.builder();
        for (String claim : claims) {
            int eq = claim.indexOf('=');
            String name = claim.substring(0, eq);
            String value = claim.substring(eq + 1);
            switch (name) {
                case "exp" -> builder.expiration(new Date(Long.parseLong(value) * 1000));
                case "nbf" -> builder.notBefore(new Date(Long.parseLong(value) * 1000));
                default -> builder.claim(name, value);
            }
        }
        return builder.signWith(secret, algorithm).compact();
    }

    /**
     * A compact JWS of any header and payload text, signed with {@code mac} (HS256, HS384 or
     * HS512, whatever the header says) by the JDK's own HMAC: tokens jjwt's builder will not make.
     */
    static String jwsRaw(String key, String mac, String header, String payload) throws Exception {
        String name = switch (mac) {
            case "HS256" -> "HmacSHA256";
            case "HS384" -> "HmacSHA384";
            case "HS512" -> "HmacSHA512";
            default -> throw new IllegalArgumentException("unknown MAC " + mac);
        };
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String input = encoder.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + encoder.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        Mac hmac = Mac.getInstance(name);
        hmac.init(new SecretKeySpec(Base64.getUrlDecoder().decode(key), name));
        return input + "." + encoder.encodeToString(hmac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }
}
