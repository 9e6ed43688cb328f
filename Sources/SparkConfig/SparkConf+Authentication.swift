extension SparkConf {
    /// The shared secret of `spark.authenticate=true`, as Spark's daemons find it
    /// (`SecurityManager.getSecretKey`): the `_SPARK_AUTH_SECRET` environment variable, else
    /// `spark.authenticate.secret`. Nil when authentication is off; an error when it is on without a
    /// secret (Spark refuses to start then too).
    public func authenticationSecret(environment: [String: String]) throws(SparkConfError) -> String? {
        guard try bool("spark.authenticate", default: false) else { return nil }
        if let secret = environment["_SPARK_AUTH_SECRET"], !secret.isEmpty { return secret }
        if let secret = self["spark.authenticate.secret"], !secret.isEmpty { return secret }
        throw SparkConfError(
            key: "spark.authenticate.secret", value: "",
            expected: "a secret shared with every driver, executor and daemon when spark.authenticate=true")
    }
}
