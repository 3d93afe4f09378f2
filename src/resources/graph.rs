//! The resource graph: every resource instance a program declares, and the references between
//! them, as a petgraph DAG.
//!
//! A node is one instance (`db`, `deploy["web"]`); an edge `a -> b` says `b` depends on `a`
//! (it refers to `a`, or names it in `depends_on`), so `a` is applied first and deleted last.
//! A reference to a keyed instance (`deploy["web"]`) is an edge from that instance only; a
//! reference to the whole declaration (`len(deploy)`) is an edge from each of its instances.

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostics::{Diagnostic, codes};
use crate::eval::{Dep, ResourceInstance};

/// Why one resource depends on another.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The reference (or `depends_on` entry) that makes the dependency.
    pub dep: Dep,
}

/// The resources of a program and their dependencies.
#[derive(Clone, Debug, Default)]
pub struct ResourceGraph {
    pub graph: DiGraph<ResourceInstance, Edge>,
    by_address: BTreeMap<String, NodeIndex>,
}

impl ResourceGraph {
    /// Builds the graph of `resources`. A cycle is a diagnostic that shows every reference on
    /// it; the graph is returned either way.
    pub fn build(resources: Vec<ResourceInstance>) -> (ResourceGraph, Vec<Diagnostic>) {
        let mut g = ResourceGraph::default();
        for r in resources {
            let address = r.address();
            let node = g.graph.add_node(r);
            g.by_address.insert(address, node);
        }
        // Instances by declaration id, for references to a whole declaration.
        let mut by_id: BTreeMap<&str, Vec<NodeIndex>> = BTreeMap::new();
        for n in g.graph.node_indices() {
            by_id.entry(&*g.graph[n].name).or_default().push(n);
        }
        let mut edges = Vec::new();
        for n in g.graph.node_indices() {
            for dep in &g.graph[n].deps {
                let from: Vec<NodeIndex> = match &dep.key {
                    Some(k) => {
                        let address = format!("{}[{k:?}]", dep.id);
                        g.by_address.get(&address).copied().into_iter().collect()
                    }
                    None => by_id.get(&*dep.id).cloned().unwrap_or_default(),
                };
                for f in from.into_iter().filter(|f| *f != n) {
                    edges.push((f, n, dep.clone()));
                }
            }
        }
        for (a, b, dep) in edges {
            if g.graph.find_edge(a, b).is_none() {
                g.graph.add_edge(a, b, Edge { dep });
            }
        }
        let diagnostics = g.cycle().into_iter().collect();
        (g, diagnostics)
    }

    /// The node of an address (`db`, `deploy["web"]`).
    pub fn node(&self, address: &str) -> Option<NodeIndex> {
        self.by_address.get(address).copied()
    }

    /// The addresses, in declaration order.
    pub fn addresses(&self) -> impl Iterator<Item = String> + '_ {
        self.graph.node_indices().map(|n| self.graph[n].address())
    }

    /// For each node (by index), the nodes it depends on.
    pub fn dependencies(&self) -> Vec<Vec<usize>> {
        self.graph
            .node_indices()
            .map(|n| {
                self.graph
                    .neighbors_directed(n, petgraph::Direction::Incoming)
                    .map(|d| d.index())
                    .collect()
            })
            .collect()
    }

    /// A diagnostic for the first cycle found, naming every reference on it.
    fn cycle(&self) -> Option<Diagnostic> {
        let sccs = petgraph::algo::tarjan_scc(&self.graph);
        let scc = sccs.into_iter().find(|c| c.len() > 1)?;
        // Walk the cycle inside the component: from a node, follow an edge that stays inside.
        let inside = |n: &NodeIndex| scc.contains(n);
        let start = *scc.iter().min()?;
        let mut path = vec![start];
        let mut at = start;
        loop {
            let next = self
                .graph
                .neighbors_directed(at, petgraph::Direction::Outgoing)
                .filter(inside)
                .min_by_key(|n| if *n == start { 0 } else { n.index() + 1 })?;
            if next == start || path.contains(&next) || path.len() > scc.len() {
                break;
            }
            path.push(next);
            at = next;
        }
        path.push(start);
        let names: Vec<String> = path.iter().map(|n| self.graph[*n].address()).collect();
        let first = &self.graph[path[1]];
        let mut d = Diagnostic::error(
            codes::CYCLE,
            format!("resources depend on each other in a cycle: {}", names.join(" → ")),
        )
        .with_help(
            "a resource cannot depend on itself, even through others: remove one of these references, or move the shared value into a `let`",
        );
        for w in path.windows(2) {
            let Some(e) = self.graph.find_edge(w[0], w[1]) else {
                continue;
            };
            let dep = &self.graph[e].dep;
            let what = if dep.explicit {
                "depends_on"
            } else {
                "refers to"
            };
            let label = format!(
                "`{}` {what} `{}`",
                self.graph[w[1]].address(),
                self.graph[w[0]].address()
            );
            d = if d.labels.is_empty() {
                d.at(dep.file, dep.span, label)
            } else {
                d.also(dep.file, dep.span, label)
            };
        }
        if d.labels.is_empty() {
            d = d.at(first.file, first.span, "on the cycle");
        }
        Some(d)
    }

    /// The nodes in dependency order, and otherwise in declaration order: of the nodes whose
    /// dependencies are all placed, the one declared first goes next. (A cycle's nodes come
    /// last, in declaration order; a cycle is reported by `build`.)
    pub fn declaration_order(&self) -> Vec<NodeIndex> {
        use std::collections::BinaryHeap;
        let n = self.graph.node_count();
        let mut waiting: Vec<usize> = self
            .graph
            .node_indices()
            .map(|i| {
                self.graph
                    .neighbors_directed(i, petgraph::Direction::Incoming)
                    .count()
            })
            .collect();
        let mut ready: BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
            .filter(|&i| waiting[i] == 0)
            .map(std::cmp::Reverse)
            .collect();
        let mut out = Vec::with_capacity(n);
        let mut placed = vec![false; n];
        while let Some(std::cmp::Reverse(i)) = ready.pop() {
            let node = NodeIndex::new(i);
            out.push(node);
            placed[i] = true;
            for d in self
                .graph
                .neighbors_directed(node, petgraph::Direction::Outgoing)
            {
                waiting[d.index()] -= 1;
                if waiting[d.index()] == 0 {
                    ready.push(std::cmp::Reverse(d.index()));
                }
            }
        }
        out.extend((0..n).filter(|&i| !placed[i]).map(NodeIndex::new));
        out
    }

    /// The graph as text: each resource in dependency order with what it depends on.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for n in self.declaration_order() {
            let r = &self.graph[n];
            out.push_str(&format!("{} ({})\n", r.address(), r.type_path));
            let mut deps: Vec<(String, bool)> = self
                .graph
                .edges_directed(n, petgraph::Direction::Incoming)
                .map(|e| {
                    use petgraph::visit::EdgeRef;
                    (self.graph[e.source()].address(), e.weight().dep.explicit)
                })
                .collect();
            deps.sort();
            for (d, explicit) in deps {
                let how = if explicit { "  (depends_on)" } else { "" };
                out.push_str(&format!("  <- {d}{how}\n"));
            }
        }
        out
    }

    /// The graph in Graphviz DOT: `cairn graph --format dot | dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        use petgraph::visit::EdgeRef;
        let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let quote = |s: &str| format!("\"{}\"", escape(s));
        let mut out = String::from("digraph resources {\n  rankdir=LR;\n  node [shape=box];\n");
        for n in self.graph.node_indices() {
            let r = &self.graph[n];
            out.push_str(&format!(
                "  {} [label=\"{}\\n{}\"];\n",
                quote(&r.address()),
                escape(&r.address()),
                escape(&r.type_path)
            ));
        }
        for e in self.graph.edge_references() {
            let style = if e.weight().dep.explicit {
                " [style=dashed]"
            } else {
                ""
            };
            out.push_str(&format!(
                "  {} -> {}{style};\n",
                quote(&self.graph[e.source()].address()),
                quote(&self.graph[e.target()].address())
            ));
        }
        out.push_str("}\n");
        out
    }
}
