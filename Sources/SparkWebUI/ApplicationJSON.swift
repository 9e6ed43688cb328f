import SparkMaster
import SparkModel

/// One application as the master's `/json` lists it, for `GET /app/json/?appId=`
/// (Spark: `JsonProtocol.writeApplicationInfo`; same fields as `MasterStatusJSON`'s entries).
public enum ApplicationJSON {
    public static func render(_ app: ApplicationInfo, now: Int64, offsetSeconds: Int, zoneName: String) -> JSONValue {
        let requirements = app.desc.defaultProfile.customExecutorResources.map {
            JSONValue.object([("name", .string($0.resourceName)), ("amount", .number($0.amount))])
        }
        return .object([
            ("id", .string(app.id)),
            ("starttime", .number(app.startTime)),
            ("name", .string(app.desc.name)),
            ("cores", .number(app.coresGranted)),
            ("user", .string(app.desc.user)),
            ("memoryperexecutor", .number(app.memoryPerExecutorMB)),
            ("memoryperslave", .number(app.memoryPerExecutorMB)),
            ("resourcesperexecutor", .array(requirements)),
            ("resourcesperslave", .array(requirements)),
            ("submitdate", .string(IdentifierFormat.javaDateString(epochMillis: app.startTime, offsetSeconds: offsetSeconds, zoneName: zoneName))),
            ("state", .string(app.state.description)),
            ("duration", .number(app.duration(now: now))),
        ])
    }
}
