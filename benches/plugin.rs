//! Benchmarks of WebAssembly plugins (`cargo bench --bench plugin`; a plain `main`, no
//! harness), on the example plugin examples/plugins/wat/text.wasm:
//!
//! 1. Loading: compiling the module afresh, and loading it again through the same host
//!    (compiled before, kept in memory).
//! 2. Instantiation: a fresh instance of a loaded plugin.
//! 3. A call with a small value, once instantiated: `clamp(5, 1, 10)` (three Ints) and
//!    `shout("hello, world")` (a short string), through `Plugin::call`; and the same call from
//!    a Cairn program, through the evaluator (type checks of the arguments and the result
//!    included).

use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

use cairn::Value;
use cairn::plugin::{self, Host, Settings};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wasm = std::fs::read(root.join("examples/plugins/wat/text.wasm"))?;
    let load = |host: &Host| {
        plugin::load(host, "text.wasm", &wasm, Settings::default()).map_err(|e| format!("{e:?}"))
    };

    // 1. Loading.
    let cold = median(
        (0..11)
            .map(|_| {
                let host = Host::default();
                let t = Instant::now();
                let p = load(&host);
                let d = t.elapsed();
                assert!(p.is_ok_and(|p| !p.cached));
                d
            })
            .collect(),
    );
    let warm_host = Host::default();
    load(&warm_host)?;
    let again = median(
        (0..51)
            .map(|_| {
                let t = Instant::now();
                let p = load(&warm_host);
                let d = t.elapsed();
                assert!(p.is_ok_and(|p| p.cached));
                d
            })
            .collect(),
    );
    println!("load, compiled afresh (median of 11):  {}", ms(cold));
    println!(
        "load, compiled before by the host (median of 51): {}",
        ms(again)
    );

    // 2. Instantiation.
    let host = Host::default();
    let inst = median(
        (0..51)
            .map(|_| {
                let p = load(&host).expect("loads");
                let t = Instant::now();
                p.instantiate().expect("instantiates");
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "instantiation (median of 51):          {:.1} µs",
        inst.as_secs_f64() * 1e6
    );

    // 3. Calls.
    let p = load(&host)?;
    p.instantiate().map_err(|f| format!("{f:?}"))?;
    const CALLS: u32 = 200_000;
    for (name, args) in [
        ("clamp", vec![Value::Int(5), Value::Int(1), Value::Int(10)]),
        ("shout", vec![Value::str("hello, world")]),
    ] {
        let per_call = median(
            (0..7)
                .map(|_| {
                    let t = Instant::now();
                    for _ in 0..CALLS {
                        let r = p.call(name, std::hint::black_box(args.clone()));
                        assert!(r.is_ok());
                    }
                    t.elapsed() / CALLS
                })
                .collect(),
        );
        println!(
            "call {name}, Plugin::call (median of 7 x {CALLS}): {:.2} µs",
            per_call.as_secs_f64() * 1e6
        );
    }

    // The same call from a program: 20,000 calls, minus the same program calling a Cairn
    // function instead.
    let program = |callee: &str| {
        format!(
            "import \"./text.wasm\" as text\nfn clamp(x: Int, lo: Int, hi: Int) -> Int = if x < lo {{ lo }} else if x > hi {{ hi }} else {{ x }}\nxs: [for i in range(20000): {callee}(i % 20, 1, 10)]\n"
        )
    };
    let run = |callee: &str| {
        let mut files = cairn::MemoryLoader::new();
        files
            .insert("p/main.cairn", program(callee))
            .insert_bytes("p/text.wasm", wasm.clone());
        let mut engine = cairn::Engine::with_loader(files);
        let t = Instant::now();
        let out = engine.evaluate_file("p/main.cairn");
        let d = t.elapsed();
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        d
    };
    let plugin_run = median((0..7).map(|_| run("text.clamp")).collect());
    let cairn_run = median((0..7).map(|_| run("clamp")).collect());
    println!(
        "program with 20,000 plugin calls: {} (a Cairn function instead: {}; load and instantiation included)",
        ms(plugin_run),
        ms(cairn_run)
    );
    Ok(())
}
