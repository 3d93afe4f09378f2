//! Benchmarks of the apply executor (`cargo bench --bench executor`; a plain `main`, no harness):
//!
//! 1. Scheduling overhead: 10,000 no-op nodes in a wide random DAG (100 roots, every other node
//!    depending on 1–3 random earlier ones), median of 11 runs, per parallelism.
//! 2. Makespan: 1,000 nodes that each sleep 20 ms, parallelism 10, on a DAG whose critical path
//!    is a chain of 20 nodes (computed by DP here). The makespan must be within 10% of the lower
//!    bound max(critical path, total work / parallelism).

use std::error::Error;
use std::time::{Duration, Instant};

use cairn::resources::executor::{Options, Report, execute};

/// splitmix64, so every run benchmarks the same graphs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `n` nodes: the first `roots` depend on nothing, every other on 1–3 random earlier nodes.
fn wide_dag(rng: &mut Rng, n: usize, roots: usize) -> Vec<Vec<usize>> {
    (0..n)
        .map(|i| {
            if i < roots {
                Vec::new()
            } else {
                (0..1 + rng.below(3)).map(|_| rng.below(i)).collect()
            }
        })
        .collect()
}

fn run(
    deps: &[Vec<usize>],
    parallelism: usize,
    work: impl Fn(usize) -> Result<(), String> + Sync,
) -> Result<(Duration, Report), Box<dyn Error>> {
    let start = Instant::now();
    let report = execute(deps, &Options::new(parallelism), work, |_| {})?;
    let elapsed = start.elapsed();
    if report.done() != deps.len() {
        return Err(format!("only {} of {} nodes done", report.done(), deps.len()).into());
    }
    Ok((elapsed, report))
}

fn overhead() -> Result<(), Box<dyn Error>> {
    const NODES: usize = 10_000;
    const RUNS: usize = 11;
    let deps = wide_dag(&mut Rng(1), NODES, 100);
    let edges: usize = deps.iter().map(Vec::len).sum();
    println!("1. Scheduling overhead: {NODES} no-op nodes, {edges} edges, median of {RUNS} runs");
    println!(
        "   {:>11}  {:>12}  {:>9}  {:>11}",
        "parallelism", "total (ms)", "µs/node", "max running"
    );
    for parallelism in [1, 2, 10] {
        // One warm-up run, then the measured ones.
        run(&deps, parallelism, |_| Ok(()))?;
        let mut times = Vec::with_capacity(RUNS);
        let mut max_running = 0;
        for _ in 0..RUNS {
            let (elapsed, report) = run(&deps, parallelism, |_| Ok(()))?;
            times.push(elapsed);
            max_running = max_running.max(report.max_running);
        }
        times.sort_unstable();
        let median = times[RUNS / 2];
        println!(
            "   {:>11}  {:>12.3}  {:>9.3}  {:>11}",
            parallelism,
            median.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e6 / NODES as f64,
            max_running
        );
    }
    Ok(())
}

fn makespan() -> Result<bool, Box<dyn Error>> {
    const NODES: usize = 1_000;
    const CHAIN: usize = 20;
    const PARALLELISM: usize = 10;
    const RUNS: usize = 3;
    let cost = Duration::from_millis(20);

    // A chain of CHAIN nodes (levels 0..CHAIN), and the others on random levels, each depending
    // on 1–3 random nodes of lower levels; numbered by level, so dependencies come first.
    let mut rng = Rng(2);
    let mut levels: Vec<usize> = (0..CHAIN).collect();
    levels.extend((CHAIN..NODES).map(|_| rng.below(CHAIN)));
    let mut nodes: Vec<usize> = (0..NODES).collect();
    nodes.sort_by_key(|&k| (levels[k], k));
    // `below[l]`: how many nodes have a level below `l` (they are the first ones).
    let below: Vec<usize> = (0..CHAIN)
        .map(|l| levels.iter().filter(|&&x| x < l).count())
        .collect();
    let index_of = |k: usize| nodes.iter().position(|&x| x == k).unwrap_or(0);
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); NODES];
    for (i, &k) in nodes.iter().enumerate() {
        let level = levels[k];
        if k < CHAIN {
            if k > 0 {
                deps[i].push(index_of(k - 1));
            }
        } else if level > 0 {
            deps[i] = (0..1 + rng.below(3))
                .map(|_| rng.below(below[level]))
                .collect();
        }
    }

    // The critical path, by DP over the numbering (a topological order).
    let mut longest = vec![Duration::ZERO; NODES];
    for i in 0..NODES {
        let before = deps[i].iter().map(|&d| longest[d]).max();
        longest[i] = before.unwrap_or(Duration::ZERO) + cost;
    }
    let critical = longest.iter().copied().max().unwrap_or(Duration::ZERO);
    let work = cost * NODES as u32;
    let bound = critical.max(work / PARALLELISM as u32);

    println!();
    println!(
        "2. Makespan: {NODES} nodes x {} ms, parallelism {PARALLELISM}; critical path {:.0} ms, \
         work {:.0} ms, lower bound {:.0} ms",
        cost.as_millis(),
        critical.as_secs_f64() * 1e3,
        work.as_secs_f64() * 1e3,
        bound.as_secs_f64() * 1e3,
    );
    println!(
        "   {:>3}  {:>13}  {:>16}  {:>6}  {:>11}",
        "run", "makespan (ms)", "lower bound (ms)", "ratio", "max running"
    );
    let mut pass = true;
    for r in 1..=RUNS {
        let (elapsed, report) = run(&deps, PARALLELISM, |_| {
            std::thread::sleep(cost);
            Ok(())
        })?;
        let ratio = elapsed.as_secs_f64() / bound.as_secs_f64();
        let ok = ratio <= 1.10;
        pass &= ok;
        println!(
            "   {:>3}  {:>13.1}  {:>16.1}  {:>6.3}  {:>11}  {}",
            r,
            elapsed.as_secs_f64() * 1e3,
            bound.as_secs_f64() * 1e3,
            ratio,
            report.max_running,
            if ok { "PASS" } else { "FAIL" }
        );
    }
    Ok(pass)
}

fn main() -> Result<(), Box<dyn Error>> {
    overhead()?;
    let pass = makespan()?;
    if !pass {
        return Err("the makespan is more than 10% above the lower bound".into());
    }
    Ok(())
}
