//! The apply executor: runs one operation per node of a dependency graph, in parallel, each as
//! soon as everything it depends on has succeeded.
//!
//! [`execute`] is generic: node `i` is `run(i)`, and `deps[i]` lists the nodes it depends on.
//! `cairn apply` builds the graph from the references between resources; the executor knows
//! nothing about resources.
//!
//! # The algorithm
//!
//! Before anything runs, the graph is checked: every dependency must name a node, and there must
//! be no cycle (Kahn's algorithm; if it cannot order every node, one cycle is picked out of the
//! nodes left and returned). Duplicate dependencies count once.
//!
//! The run is a *ready queue*, not a walk level by level: every node has a counter of the
//! dependencies it still waits for. A node whose counter is zero is *ready* and goes into the
//! queue; when a node succeeds it decrements the counters of its dependents (atomically, without
//! a lock), and those reaching zero join the queue. The nodes run on a rayon thread pool of
//! `parallelism` threads made for the run, inside one `scope`.
//!
//! Concurrency is bounded by *slots*, not by threads: there are `parallelism` slots, and a
//! spawned job holds one from the moment it is spawned until it returns. A job runs a node, puts
//! the dependents that became ready into the queue, takes the next node from the queue for
//! itself, and spawns one more job for every free slot while the queue has nodes left; when the
//! queue is empty it gives its slot back and ends. The queue and the slot count share one mutex,
//! held only for those few operations (never while a node runs). Because each job runs one node
//! at a time, at most `parallelism` nodes ever run at once, even if `run` itself uses rayon and a
//! waiting worker steals a job of ours.
//!
//! The queue is ordered by *height*: the number of nodes on the longest chain of dependents that
//! starts at the node (itself included), ties going to the lower index. Starting the nodes that
//! head long chains first keeps the critical path moving while there is other work to fill the
//! slots (list scheduling by highest level first); a plain FIFO queue can leave a long chain to
//! run alone at the end.
//!
//! # Guarantees
//!
//! - A node starts only after every node it depends on has finished [`NodeResult::Done`]; what
//!   a dependency did happens before its dependent starts.
//! - At most `parallelism` nodes run at once ([`Report::max_running`] says how many did).
//! - When a node fails, every node depending on it, directly or not, is [`NodeResult::Skipped`]
//!   at once (with a `Finished(i, Skipped)` event), and everything else still runs.
//! - A panic in `run` is caught and reported as `Failed("panicked: <message>")`. (The panic
//!   hook still prints it; a panic in `on_event` is not caught and comes out of [`execute`]
//!   once the running nodes have finished.)
//! - The cancel flag is checked before each node starts: once it is set, no node starts, the
//!   running ones finish, and the nodes that never started are [`NodeResult::Cancelled`], unless
//!   a dependency failed, which makes them `Skipped`. Their `Finished(i, Cancelled)` events come
//!   last, in node order, from the calling thread.
//! - Every node gets exactly one `Finished` event, and `Started` exactly when it runs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

/// How one node ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeResult {
    Done,
    Failed(String),
    /// A node it depends on (transitively) failed or was skipped.
    Skipped,
    /// Never started because the run was cancelled.
    Cancelled,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many nodes may run at once; 0 counts as 1.
    pub parallelism: usize,
    /// Set to stop starting nodes (Ctrl-C); the running ones finish.
    pub cancel: Arc<AtomicBool>,
}

impl Options {
    /// Options with a fresh cancel flag.
    pub fn new(parallelism: usize) -> Options {
        Options {
            parallelism,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Progress, reported from worker threads as it happens (for a progress display). Only the
/// `Finished(i, Cancelled)` events of a cancelled run come at the end, from the calling thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Started(usize),
    Finished(usize, NodeResult),
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct Report {
    /// How each node ended, in node order.
    pub results: Vec<NodeResult>,
    /// The most nodes running at once, observed.
    pub max_running: usize,
}

impl Report {
    pub fn done(&self) -> usize {
        self.count(|r| matches!(r, NodeResult::Done))
    }

    pub fn failed(&self) -> usize {
        self.count(|r| matches!(r, NodeResult::Failed(_)))
    }

    pub fn skipped(&self) -> usize {
        self.count(|r| matches!(r, NodeResult::Skipped))
    }

    pub fn cancelled(&self) -> usize {
        self.count(|r| matches!(r, NodeResult::Cancelled))
    }

    fn count(&self, f: impl Fn(&NodeResult) -> bool) -> usize {
        self.results.iter().filter(|r| f(r)).count()
    }
}

/// Why a graph could not be run; nothing ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// The nodes of one cycle, starting at its lowest index: each depends on the next, and the
    /// last on the first (a node depending on itself is a cycle of one).
    Cycle(Vec<usize>),
    /// `deps[node]` names `dep`, which is not a node (there are `nodes` of them).
    UnknownDep {
        node: usize,
        dep: usize,
        nodes: usize,
    },
    /// The worker threads could not be started.
    ThreadPool(String),
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Cycle(cycle) => {
                f.write_str("dependency cycle: ")?;
                for i in cycle {
                    write!(f, "{i} -> ")?;
                }
                match cycle.first() {
                    Some(first) => write!(f, "{first}"),
                    None => Ok(()),
                }
            }
            ExecError::UnknownDep { node, dep, nodes } => write!(
                f,
                "node {node} depends on node {dep}, which does not exist (there are {nodes} nodes)"
            ),
            ExecError::ThreadPool(message) => {
                write!(f, "cannot start the worker threads: {message}")
            }
        }
    }
}

impl std::error::Error for ExecError {}

/// Runs `run(i)` for nodes `0..deps.len()`, each once every node in `deps[i]` is done, at most
/// `opts.parallelism` at once, reporting progress to `on_event`. See the module documentation
/// for the guarantees. Errors (a cycle, a dependency out of range) are found before anything
/// runs.
pub fn execute<F, E>(
    deps: &[Vec<usize>],
    opts: &Options,
    run: F,
    on_event: E,
) -> Result<Report, ExecError>
where
    F: Fn(usize) -> Result<(), String> + Sync,
    E: Fn(&Event) + Sync,
{
    let graph = Graph::new(deps)?;
    let n = deps.len();
    if n == 0 {
        return Ok(Report {
            results: Vec::new(),
            max_running: 0,
        });
    }
    let slots = opts.parallelism.max(1);
    // More threads than nodes would only sit idle.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(slots.min(n))
        .thread_name(|i| format!("cairn-apply-{i}"))
        .build()
        .map_err(|e| ExecError::ThreadPool(e.to_string()))?;

    let runner = Runner {
        pending: graph.pending.iter().map(|&p| AtomicUsize::new(p)).collect(),
        results: (0..n).map(|_| OnceLock::new()).collect(),
        queue: Mutex::new(Queue {
            ready: BinaryHeap::new(),
            busy: 0,
        }),
        slots,
        running: AtomicUsize::new(0),
        max_running: AtomicUsize::new(0),
        graph: &graph,
        cancel: &opts.cancel,
        run: &run,
        on_event: &on_event,
    };
    pool.scope(|scope| {
        let roots: Vec<usize> = (0..n).filter(|&i| graph.pending[i] == 0).collect();
        runner.dispatch(scope, roots);
    });

    let max_running = runner.max_running.load(Ordering::Acquire);
    let results = runner
        .results
        .into_iter()
        .enumerate()
        .map(|(i, result)| {
            result.into_inner().unwrap_or_else(|| {
                // Only a cancelled run leaves nodes unsettled.
                debug_assert!(opts.cancel.load(Ordering::Acquire));
                on_event(&Event::Finished(i, NodeResult::Cancelled));
                NodeResult::Cancelled
            })
        })
        .collect();
    Ok(Report {
        results,
        max_running,
    })
}

/// The checked graph, turned around: who depends on each node.
struct Graph {
    /// The dependents of node `i` are `dependents[offsets[i]..offsets[i + 1]]`, each once.
    offsets: Vec<usize>,
    dependents: Vec<usize>,
    /// How many distinct nodes each node depends on.
    pending: Vec<usize>,
    /// The queue priority of each node: the length of the longest chain of dependents from it.
    height: Vec<usize>,
}

impl Graph {
    fn new(deps: &[Vec<usize>]) -> Result<Graph, ExecError> {
        let n = deps.len();
        // The distinct edges, as (dependency, dependent); `seen[d] == i + 1` marks `d` as
        // already counted for node `i`.
        let mut edges = Vec::with_capacity(deps.iter().map(Vec::len).sum());
        let mut seen = vec![0usize; n];
        let mut pending = vec![0usize; n];
        for (i, ds) in deps.iter().enumerate() {
            for &d in ds {
                if d >= n {
                    return Err(ExecError::UnknownDep {
                        node: i,
                        dep: d,
                        nodes: n,
                    });
                }
                if seen[d] != i + 1 {
                    seen[d] = i + 1;
                    edges.push((d, i));
                    pending[i] += 1;
                }
            }
        }

        // Compressed adjacency: count, prefix sums, fill.
        let mut offsets = vec![0usize; n + 1];
        for &(d, _) in &edges {
            offsets[d + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut dependents = vec![0usize; edges.len()];
        for &(d, i) in &edges {
            dependents[fill[d]] = i;
            fill[d] += 1;
        }
        let mut graph = Graph {
            offsets,
            dependents,
            pending,
            height: Vec::new(),
        };

        // Kahn's algorithm: `order` ends up holding every node iff there is no cycle.
        let mut left = graph.pending.clone();
        let mut order: Vec<usize> = (0..n).filter(|&i| left[i] == 0).collect();
        let mut next = 0;
        while next < order.len() {
            let u = order[next];
            next += 1;
            for &v in graph.dependents(u) {
                left[v] -= 1;
                if left[v] == 0 {
                    order.push(v);
                }
            }
        }
        if order.len() < n {
            return Err(ExecError::Cycle(find_cycle(deps, &left)));
        }

        // Heights, dependents first.
        let mut height = vec![1usize; n];
        for &u in order.iter().rev() {
            let below = graph.dependents(u).iter().map(|&v| height[v]).max();
            height[u] = 1 + below.unwrap_or(0);
        }
        graph.height = height;
        Ok(graph)
    }

    fn dependents(&self, i: usize) -> &[usize] {
        &self.dependents[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// One cycle among the nodes Kahn's algorithm could not order (`left[i] > 0`). Each of them
/// waits for a dependency that is also unordered, so following such dependencies from one of
/// them must come back to a node already seen; the path from there is a cycle.
fn find_cycle(deps: &[Vec<usize>], left: &[usize]) -> Vec<usize> {
    let Some(start) = (0..deps.len()).find(|&i| left[i] > 0) else {
        return Vec::new();
    };
    let mut position = vec![usize::MAX; deps.len()];
    let mut path = Vec::new();
    let mut cur = start;
    while position[cur] == usize::MAX {
        position[cur] = path.len();
        path.push(cur);
        match deps[cur].iter().find(|&&d| left[d] > 0) {
            Some(&d) => cur = d,
            // Cannot happen (see above); return the path rather than loop.
            None => return path,
        }
    }
    let mut cycle = path.split_off(position[cur]);
    let lowest = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
    cycle.rotate_left(lowest);
    cycle
}

/// The ready queue and the slots in use, under one mutex.
struct Queue {
    /// Ready nodes, highest first, then lowest index.
    ready: BinaryHeap<(usize, Reverse<usize>)>,
    /// Jobs alive; each holds one slot.
    busy: usize,
}

/// The shared state of one run.
struct Runner<'a, F, E> {
    graph: &'a Graph,
    /// Per node, the dependencies not done yet.
    pending: Vec<AtomicUsize>,
    /// Per node, how it ended; set once, which decides who reports it.
    results: Vec<OnceLock<NodeResult>>,
    queue: Mutex<Queue>,
    slots: usize,
    /// Nodes inside `run` right now, and the most there were.
    running: AtomicUsize,
    max_running: AtomicUsize,
    cancel: &'a AtomicBool,
    run: &'a F,
    on_event: &'a E,
}

impl<'a, F, E> Runner<'a, F, E>
where
    F: Fn(usize) -> Result<(), String> + Sync,
    E: Fn(&Event) + Sync,
{
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock, but a poisoned queue is still consistent.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Acquire)
    }

    /// Queues the first ready nodes and spawns a job per free slot.
    fn dispatch<'s>(&'s self, scope: &rayon::Scope<'s>, ready: Vec<usize>) {
        let mut spawn = Vec::new();
        {
            let mut queue = self.lock();
            queue.ready.extend(ready.into_iter().map(|i| self.entry(i)));
            self.claim_slots(&mut queue, &mut spawn);
        }
        for node in spawn {
            scope.spawn(move |scope| self.work(scope, node));
        }
    }

    fn entry(&self, i: usize) -> (usize, Reverse<usize>) {
        (self.graph.height[i], Reverse(i))
    }

    /// Takes a ready node for every free slot, unless the run is cancelled.
    fn claim_slots(&self, queue: &mut Queue, spawn: &mut Vec<usize>) {
        if self.cancelled() {
            return;
        }
        while queue.busy < self.slots {
            let Some((_, Reverse(i))) = queue.ready.pop() else {
                break;
            };
            queue.busy += 1;
            spawn.push(i);
        }
    }

    /// A job: runs `node`, then ready nodes from the queue until there are none, spawning
    /// helpers for free slots as nodes become ready.
    fn work<'s>(&'s self, scope: &rayon::Scope<'s>, mut node: usize) {
        let mut ready = Vec::new();
        let mut spawn = Vec::new();
        loop {
            if self.cancelled() {
                // `node` stays unsettled: it is reported cancelled at the end.
                self.lock().busy -= 1;
                return;
            }
            self.run_node(node, &mut ready);
            let next = {
                let mut queue = self.lock();
                queue.ready.extend(ready.drain(..).map(|i| self.entry(i)));
                let next = if self.cancelled() {
                    None
                } else {
                    queue.ready.pop().map(|(_, Reverse(i))| i)
                };
                if next.is_none() {
                    queue.busy -= 1;
                }
                self.claim_slots(&mut queue, &mut spawn);
                next
            };
            for i in spawn.drain(..) {
                scope.spawn(move |scope| self.work(scope, i));
            }
            match next {
                Some(i) => node = i,
                None => return,
            }
        }
    }

    /// Runs one node and settles it; pushes the dependents it made ready onto `ready`.
    fn run_node(&self, i: usize, ready: &mut Vec<usize>) {
        (self.on_event)(&Event::Started(i));
        let now = self.running.fetch_add(1, Ordering::AcqRel) + 1;
        self.max_running.fetch_max(now, Ordering::AcqRel);
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.run)(i)));
        self.running.fetch_sub(1, Ordering::AcqRel);
        let result = match outcome {
            Ok(Ok(())) => NodeResult::Done,
            Ok(Err(message)) => NodeResult::Failed(message),
            Err(payload) => NodeResult::Failed(format!("panicked: {}", panic_message(&*payload))),
        };
        let done = result == NodeResult::Done;
        self.settle(i, result);
        if done {
            for &d in self.graph.dependents(i) {
                // The last dependency to finish makes the node ready.
                if self.pending[d].fetch_sub(1, Ordering::AcqRel) == 1 {
                    ready.push(d);
                }
            }
        } else {
            self.skip_dependents(i);
        }
    }

    /// Marks every transitive dependent of the failed node `i` skipped. None of them can be
    /// running or done (they wait for `i`); another failure may be skipping them at the same
    /// time, and `settle` lets only one of the two report each.
    fn skip_dependents(&self, i: usize) {
        let mut stack = vec![i];
        while let Some(u) = stack.pop() {
            for &d in self.graph.dependents(u) {
                if self.settle(d, NodeResult::Skipped) {
                    stack.push(d);
                }
            }
        }
    }

    /// Records how node `i` ended and reports it, unless it already ended; says whether it did.
    fn settle(&self, i: usize, result: NodeResult) -> bool {
        let event = Event::Finished(i, result.clone());
        if self.results[i].set(result).is_err() {
            return false;
        }
        (self.on_event)(&event);
        true
    }
}

/// The message of a panic payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a value that is not a string)"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// splitmix64: a small deterministic generator, so every failure reproduces from its seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Uniform in `0..n` (n > 0; the bias is irrelevant here).
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// True with probability `percent` / 100.
        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
    }

    /// A random DAG of `n` nodes: generated with edges only from higher to lower positions, then
    /// renumbered by a random permutation. Returns the graph and the nodes in topological order.
    fn random_dag(rng: &mut Rng, n: usize) -> (Vec<Vec<usize>>, Vec<usize>) {
        let mut perm: Vec<usize> = (0..n).collect();
        for k in (1..n).rev() {
            perm.swap(k, rng.below(k + 1));
        }
        let mut deps = vec![Vec::new(); n];
        for k in 1..n {
            // Mostly 0–3 dependencies, near or far; now and then the same one twice.
            for _ in 0..rng.below(4) {
                let back = if rng.chance(70) {
                    rng.below(k.min(20)) + 1
                } else {
                    rng.below(k) + 1
                };
                let d = perm[k - back];
                deps[perm[k]].push(d);
                if rng.chance(3) {
                    deps[perm[k]].push(d);
                }
            }
        }
        (deps, perm)
    }

    /// What a test node did: sequence numbers taken when it started and finished.
    struct Trace {
        seq: AtomicUsize,
        start: Vec<AtomicUsize>,
        finish: Vec<AtomicUsize>,
        running: AtomicUsize,
        max_running: AtomicUsize,
        events: Mutex<Vec<Event>>,
    }

    const NEVER: usize = usize::MAX;

    impl Trace {
        fn new(n: usize) -> Trace {
            Trace {
                seq: AtomicUsize::new(0),
                start: (0..n).map(|_| AtomicUsize::new(NEVER)).collect(),
                finish: (0..n).map(|_| AtomicUsize::new(NEVER)).collect(),
                running: AtomicUsize::new(0),
                max_running: AtomicUsize::new(0),
                events: Mutex::new(Vec::new()),
            }
        }

        fn tick(&self) -> usize {
            self.seq.fetch_add(1, Ordering::SeqCst)
        }

        /// Wraps a node's body with the bookkeeping.
        fn node<T>(&self, i: usize, body: impl FnOnce() -> T) -> T {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_running.fetch_max(now, Ordering::SeqCst);
            let previous = self.start[i].swap(self.tick(), Ordering::SeqCst);
            assert_eq!(previous, NEVER, "node {i} ran twice");
            let result = body();
            self.finish[i].store(self.tick(), Ordering::SeqCst);
            self.running.fetch_sub(1, Ordering::SeqCst);
            result
        }

        fn started(&self, i: usize) -> Option<usize> {
            Some(self.start[i].load(Ordering::SeqCst)).filter(|&s| s != NEVER)
        }

        fn record(&self, event: &Event) {
            self.events.lock().unwrap().push(event.clone());
        }

        /// Every node has exactly one `Finished` event, matching its result, and a `Started`
        /// event exactly when it ran (before its `Finished`).
        fn check_events(&self, report: &Report) {
            let events = self.events.lock().unwrap();
            let n = report.results.len();
            let mut started = vec![None; n];
            let mut finished = vec![None; n];
            for (k, e) in events.iter().enumerate() {
                match e {
                    Event::Started(i) => {
                        assert!(started[*i].is_none(), "node {i} started twice");
                        started[*i] = Some(k);
                    }
                    Event::Finished(i, r) => {
                        assert!(finished[*i].is_none(), "node {i} finished twice");
                        assert_eq!(r, &report.results[*i], "event for node {i}");
                        finished[*i] = Some(k);
                    }
                }
            }
            for i in 0..n {
                let ran = matches!(report.results[i], NodeResult::Done | NodeResult::Failed(_));
                assert_eq!(started[i].is_some(), ran, "Started event of node {i}");
                assert_eq!(self.started(i).is_some(), ran, "whether node {i} ran");
                assert!(finished[i].is_some(), "no Finished event for node {i}");
                if let (Some(s), Some(f)) = (started[i], finished[i]) {
                    assert!(s < f, "node {i} finished before it started");
                }
            }
        }
    }

    fn no_events(_: &Event) {}

    /// The property test: random DAGs, delays and failures; checks order, the bound on
    /// concurrency, and exactly which nodes are skipped.
    #[test]
    fn random_dags() {
        for seed in 0..200u64 {
            let mut rng = Rng(seed);
            let n = match seed % 4 {
                0 => rng.below(20) + 1,
                1 => rng.below(300) + 1,
                _ => rng.below(2000) + 1,
            };
            let (deps, order) = random_dag(&mut rng, n);
            let parallelism = [1, 2, 3, 4, 8, 16][rng.below(6)];
            let fail_percent = rng.below(5);
            let fails: Vec<bool> = (0..n).map(|_| rng.chance(fail_percent)).collect();
            let delays: Vec<u64> = (0..n)
                .map(|_| {
                    if rng.chance(5) {
                        rng.below(201) as u64
                    } else {
                        0
                    }
                })
                .collect();

            let trace = Trace::new(n);
            let opts = Options::new(parallelism);
            let report = execute(
                &deps,
                &opts,
                |i| {
                    trace.node(i, || {
                        if delays[i] > 0 {
                            std::thread::sleep(Duration::from_micros(delays[i]));
                        }
                        if fails[i] {
                            Err(format!("node {i} failed"))
                        } else {
                            Ok(())
                        }
                    })
                },
                |e| trace.record(e),
            )
            .unwrap();

            let context = format!("seed {seed}, {n} nodes, parallelism {parallelism}");
            // (1) A node started only after all its dependencies finished, all done.
            for (i, ds) in deps.iter().enumerate() {
                let Some(start) = trace.started(i) else {
                    continue;
                };
                for &d in ds {
                    assert_eq!(
                        report.results[d],
                        NodeResult::Done,
                        "{context}: dep {d} of {i}"
                    );
                    let finish = trace.finish[d].load(Ordering::SeqCst);
                    assert!(
                        finish < start,
                        "{context}: {i} started before its dep {d} finished"
                    );
                }
            }
            // (2) Never more than `parallelism` at once, as the nodes saw it and as reported.
            let seen = trace.max_running.load(Ordering::SeqCst);
            assert!(seen <= parallelism, "{context}: {seen} ran at once");
            assert!(report.max_running <= parallelism, "{context}");
            assert!(report.max_running >= 1, "{context}");
            // (3) Exactly the transitive dependents of failed nodes are skipped, computed in
            // topological order.
            let mut expected = vec![NodeResult::Done; n];
            for &i in &order {
                expected[i] = if deps[i].iter().any(|&d| expected[d] != NodeResult::Done) {
                    NodeResult::Skipped
                } else if fails[i] {
                    NodeResult::Failed(format!("node {i} failed"))
                } else {
                    NodeResult::Done
                };
            }
            assert_eq!(report.results, expected, "{context}");
            assert_eq!(report.cancelled(), 0);
            assert_eq!(report.done() + report.failed() + report.skipped(), n);
            trace.check_events(&report);
        }
    }

    /// (4) With parallelism 1, nodes run strictly one after another.
    #[test]
    fn parallelism_one_is_sequential() {
        for seed in 100..110u64 {
            let mut rng = Rng(seed);
            let n = rng.below(500) + 1;
            let (deps, _) = random_dag(&mut rng, n);
            for parallelism in [0, 1] {
                let trace = Trace::new(n);
                let report = execute(
                    &deps,
                    &Options::new(parallelism),
                    |i| {
                        trace.node(i, || {
                            if i % 50 == 0 {
                                std::thread::sleep(Duration::from_micros(100));
                            }
                            Ok(())
                        })
                    },
                    no_events,
                )
                .unwrap();
                assert_eq!(report.done(), n);
                assert_eq!(report.max_running, 1);
                assert_eq!(trace.max_running.load(Ordering::SeqCst), 1);
                // Each node's start and finish are consecutive in the sequence.
                let mut spans: Vec<(usize, usize)> = (0..n)
                    .map(|i| {
                        (
                            trace.started(i).unwrap(),
                            trace.finish[i].load(Ordering::SeqCst),
                        )
                    })
                    .collect();
                spans.sort_unstable();
                for (k, &(start, finish)) in spans.iter().enumerate() {
                    assert_eq!((start, finish), (2 * k, 2 * k + 1), "seed {seed}");
                }
            }
        }
    }

    #[test]
    fn reaches_full_parallelism() {
        // 8 independent nodes that each wait until 4 are running at once.
        let running = AtomicUsize::new(0);
        let report = execute(
            &vec![Vec::new(); 8],
            &Options::new(4),
            |_| {
                running.fetch_add(1, Ordering::SeqCst);
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while running.load(Ordering::SeqCst) < 4 && std::time::Instant::now() < deadline {
                    std::thread::yield_now();
                }
                Ok(())
            },
            no_events,
        )
        .unwrap();
        assert_eq!(report.done(), 8);
        assert_eq!(report.max_running, 4);
    }

    #[test]
    fn nested_rayon_stays_within_parallelism() {
        // A node that uses rayon waits in the pool, where its worker may steal other jobs; the
        // slots still bound how many nodes run.
        use rayon::prelude::*;
        let n = 200;
        let trace = Trace::new(n);
        let report = execute(
            &vec![Vec::new(); n],
            &Options::new(2),
            |i| {
                trace.node(i, || {
                    let sum: u64 = (0..1000u64).into_par_iter().map(|x| x * x).sum();
                    assert!(sum > 0);
                    Ok(())
                })
            },
            no_events,
        )
        .unwrap();
        assert_eq!(report.done(), n);
        assert!(trace.max_running.load(Ordering::SeqCst) <= 2);
        assert!(report.max_running <= 2);
    }

    #[test]
    fn cycles_are_found_before_running() {
        let ran = AtomicUsize::new(0);
        let run = |_| {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok(())
        };
        let cycle = |deps: &[Vec<usize>]| match execute(deps, &Options::new(2), run, no_events) {
            Err(ExecError::Cycle(c)) => c,
            other => panic!("expected a cycle, got {other:?}"),
        };
        assert_eq!(cycle(&[vec![1], vec![2], vec![0]]), vec![0, 1, 2]);
        assert_eq!(cycle(&[vec![2], vec![0], vec![1]]), vec![0, 2, 1]);
        assert_eq!(cycle(&[vec![], vec![0, 1]]), vec![1]);
        // An acyclic part in front of and behind the cycle 1 -> 3 -> 2 -> 1.
        assert_eq!(
            cycle(&[vec![], vec![0, 3], vec![1], vec![2, 0], vec![3], vec![]]),
            vec![1, 3, 2]
        );
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        let err = ExecError::Cycle(vec![1, 3, 2]);
        assert_eq!(err.to_string(), "dependency cycle: 1 -> 3 -> 2 -> 1");
    }

    #[test]
    fn unknown_dependency() {
        let err = execute(
            &[vec![], vec![0, 7]],
            &Options::new(1),
            |_| Ok(()),
            no_events,
        );
        let err = err.unwrap_err();
        assert_eq!(
            err,
            ExecError::UnknownDep {
                node: 1,
                dep: 7,
                nodes: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "node 1 depends on node 7, which does not exist (there are 2 nodes)"
        );
    }

    #[test]
    fn empty_graph() {
        let report = execute(
            &[],
            &Options::new(4),
            |_| panic!("nothing to run"),
            no_events,
        );
        let report = report.unwrap();
        assert!(report.results.is_empty());
        assert_eq!(report.max_running, 0);
    }

    #[test]
    fn panics_are_failures() {
        let deps = [vec![], vec![0], vec![], vec![2]];
        let trace = Trace::new(4);
        let report = execute(
            &deps,
            &Options::new(2),
            |i| match i {
                0 => panic!("boom"),
                2 => panic!("boom {}", i),
                _ => Ok(()),
            },
            |e| trace.record(e),
        )
        .unwrap();
        assert_eq!(
            report.results,
            [
                NodeResult::Failed("panicked: boom".into()),
                NodeResult::Skipped,
                NodeResult::Failed("panicked: boom 2".into()),
                NodeResult::Skipped,
            ]
        );
        let events = trace.events.lock().unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, Event::Started(_)))
                .count(),
            2
        );
        assert_eq!(events.len(), 6);
    }

    #[test]
    fn failure_skips_dependents_and_spares_the_rest() {
        // 0 -> 1 -> 2 fails at 1; 3 and 4 -> 3 are independent; 5 depends on 2 and 4.
        let deps = [vec![], vec![0], vec![1], vec![], vec![3], vec![2, 4]];
        let trace = Trace::new(6);
        let report = execute(
            &deps,
            &Options::new(3),
            |i| trace.node(i, || if i == 1 { Err("no".into()) } else { Ok(()) }),
            |e| trace.record(e),
        )
        .unwrap();
        use NodeResult::*;
        assert_eq!(
            report.results,
            [Done, Failed("no".into()), Skipped, Done, Done, Skipped]
        );
        assert_eq!(
            (
                report.done(),
                report.failed(),
                report.skipped(),
                report.cancelled()
            ),
            (3, 1, 2, 0)
        );
        trace.check_events(&report);
    }

    #[test]
    fn diamond() {
        // 0 <- 1, 0 <- 2, {1, 2} <- 3.
        let deps = [vec![], vec![0], vec![0], vec![1, 2]];
        let trace = Trace::new(4);
        let report = execute(
            &deps,
            &Options::new(4),
            |i| trace.node(i, || Ok(())),
            |e| trace.record(e),
        )
        .unwrap();
        assert_eq!(report.done(), 4);
        let start3 = trace.started(3).unwrap();
        for d in [1, 2] {
            assert!(trace.finish[d].load(Ordering::SeqCst) < start3);
        }
        trace.check_events(&report);

        // Both sides failing skip the bottom once.
        let trace = Trace::new(4);
        let report = execute(
            &deps,
            &Options::new(4),
            |i| trace.node(i, || if i == 0 { Ok(()) } else { Err(format!("{i}")) }),
            |e| trace.record(e),
        )
        .unwrap();
        assert_eq!(report.results[3], NodeResult::Skipped);
        assert_eq!(report.failed(), 2);
        trace.check_events(&report);
    }

    #[test]
    fn duplicate_dependency_counts_once() {
        let deps = [vec![], vec![0, 0, 0], vec![1, 0, 1]];
        let trace = Trace::new(3);
        let report = execute(
            &deps,
            &Options::new(2),
            |i| trace.node(i, || Ok(())),
            |e| trace.record(e),
        )
        .unwrap();
        assert_eq!(report.done(), 3);
        trace.check_events(&report);

        let report = execute(
            &deps,
            &Options::new(2),
            |i| if i == 0 { Err("x".into()) } else { Ok(()) },
            no_events,
        )
        .unwrap();
        assert_eq!(report.skipped(), 2);
    }

    #[test]
    fn cancel_before_start() {
        let opts = Options::new(4);
        opts.cancel.store(true, Ordering::SeqCst);
        let trace = Trace::new(3);
        let report = execute(
            &[vec![], vec![0], vec![]],
            &opts,
            |_| panic!("must not run"),
            |e| trace.record(e),
        )
        .unwrap();
        assert_eq!(report.cancelled(), 3);
        assert_eq!(report.max_running, 0);
        trace.check_events(&report);
    }

    #[test]
    fn cancel_midway_sequential() {
        // 100 independent nodes and a chain behind node 0; node 10 (by start order) cancels.
        let mut deps = vec![Vec::new(); 100];
        deps.extend((100..120).map(|i| vec![i - 1]));
        deps[100] = vec![0];
        let n = deps.len();
        let opts = Options::new(1);
        let trace = Trace::new(n);
        let cancel_at = AtomicUsize::new(NEVER);
        let report = execute(
            &deps,
            &opts,
            |i| {
                trace.node(i, || {
                    if trace.seq.load(Ordering::SeqCst) >= 20
                        && cancel_at.load(Ordering::SeqCst) == NEVER
                    {
                        cancel_at.store(trace.tick(), Ordering::SeqCst);
                        opts.cancel.store(true, Ordering::SeqCst);
                    }
                    Ok(())
                })
            },
            |e| trace.record(e),
        )
        .unwrap();
        let cancel_at = cancel_at.load(Ordering::SeqCst);
        assert_ne!(cancel_at, NEVER);
        for i in 0..n {
            match trace.started(i) {
                Some(s) => {
                    assert!(s < cancel_at, "node {i} started after the cancel");
                    assert_eq!(report.results[i], NodeResult::Done);
                }
                None => assert_eq!(report.results[i], NodeResult::Cancelled),
            }
        }
        assert_eq!(report.done(), 11);
        assert_eq!(report.cancelled(), n - 11);
        trace.check_events(&report);
    }

    #[test]
    fn cancel_midway_parallel() {
        for seed in 200..210u64 {
            let mut rng = Rng(seed);
            let n = 1000;
            let (deps, _) = random_dag(&mut rng, n);
            let parallelism = 4;
            let opts = Options::new(parallelism);
            let trace = Trace::new(n);
            let cancel_at = AtomicUsize::new(NEVER);
            let trigger = rng.below(n);
            let report = execute(
                &deps,
                &opts,
                |i| {
                    trace.node(i, || {
                        std::thread::sleep(Duration::from_micros(20));
                        if i == trigger {
                            cancel_at.store(trace.tick(), Ordering::SeqCst);
                            opts.cancel.store(true, Ordering::SeqCst);
                        }
                        Ok(())
                    })
                },
                |e| trace.record(e),
            )
            .unwrap();
            let cancel_at = cancel_at.load(Ordering::SeqCst);
            assert_ne!(cancel_at, NEVER, "seed {seed}: node {trigger} did not run");
            // A job may have checked the flag just before it was set and start afterwards; no
            // more than one per other slot.
            let late = (0..n)
                .filter(|&i| trace.started(i).is_some_and(|s| s > cancel_at))
                .count();
            assert!(
                late < parallelism,
                "seed {seed}: {late} started after the cancel"
            );
            for i in 0..n {
                let ran = trace.started(i).is_some();
                assert_eq!(
                    report.results[i] == NodeResult::Done,
                    ran,
                    "seed {seed}, node {i}"
                );
                if !ran {
                    assert_eq!(report.results[i], NodeResult::Cancelled);
                    // Dependents of a cancelled node are cancelled too.
                    for (j, ds) in deps.iter().enumerate() {
                        if ds.contains(&i) {
                            assert_eq!(report.results[j], NodeResult::Cancelled);
                        }
                    }
                }
            }
            assert!(report.cancelled() > 0);
            trace.check_events(&report);
        }
    }

    #[test]
    fn longest_chain_first() {
        // With one slot and all nodes 0..5 ready, the head of the chain 6 <- 7 <- 8 goes first,
        // then 7 (height 2); 8 ties with the leaves and comes after them by index.
        let mut deps = vec![Vec::new(); 7];
        deps.push(vec![6]);
        deps.push(vec![7]);
        let order = Mutex::new(Vec::new());
        execute(
            &deps,
            &Options::new(1),
            |i| {
                order.lock().unwrap().push(i);
                Ok(())
            },
            no_events,
        )
        .unwrap();
        assert_eq!(order.into_inner().unwrap(), [6, 7, 0, 1, 2, 3, 4, 5, 8]);
    }
}
