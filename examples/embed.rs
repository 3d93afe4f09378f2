//! Embedding Cairn as a Rust program's configuration loader.
//!
//! Run with `cargo run --example embed`. It evaluates a program held in memory, with a
//! parameter set by the host, and deserializes the result into the host's own types. Then it
//! shows what a configuration that does not fit those types reports.

use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    env: String,
    listen: Listen,
    upstreams: Vec<Upstream>,
}

#[derive(Deserialize)]
struct Listen {
    host: String,
    port: u16,
}

#[derive(Deserialize)]
struct Upstream {
    name: String,
    url: String,
    weight: u8,
}

const PROGRAM: &str = r#"
param env: "dev" | "prod" = "dev"
let regions = ["eu", "us"]

env: env
listen: { host: "0.0.0.0", port: if env == "prod" { 443 } else { 8080 } }
upstreams: [for i, r in regions: { name: "api-${r}", url: "https://api.${r}.example.com", weight: 10 * (i + 1) }]
"#;

fn main() -> Result<(), cairn::Error> {
    let mut engine = cairn::Engine::new();
    engine.param("env", "prod");
    let cfg: Config = engine.load_str_into("app.cairn", PROGRAM)?;
    println!(
        "{} listens on {}:{}",
        cfg.env, cfg.listen.host, cfg.listen.port
    );
    for u in &cfg.upstreams {
        println!("  upstream {} -> {} (weight {})", u.name, u.url, u.weight);
    }

    // A port that does not fit in a u16 is a diagnostic naming the value's path.
    let broken = PROGRAM.replace("443", "70000");
    let mut engine = cairn::Engine::new();
    engine.param("env", "prod");
    match engine.load_str_into::<Config>("app.cairn", &broken) {
        Ok(_) => println!("unexpectedly fine"),
        Err(e) => println!("as expected:\n{e}"),
    }
    Ok(())
}
