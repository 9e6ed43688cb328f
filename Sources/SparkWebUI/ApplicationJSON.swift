import SparkMaster
import SparkModel

/// One application as the master's `/json` lists it, for `GET /app/json/?appId=`
/// (Spark: `JsonProtocol.writeApplicationInfo`; same fields as `MasterStatusJSON`'s entries).
public enum ApplicationJSON {
    public static func render(_ app: ApplicationInfo, now: Int64, offsetSeconds: Int, zoneName: String) -> JSONValue {
        MasterStatusJSON.application(app, now: now, offset: offsetSeconds, zoneName: zoneName)
    }
}
