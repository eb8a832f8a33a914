//! The reachability matrix: which host interface reaches which, expected (by VLAN
//! membership) against measured (by ping).

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::cmd::succeeds;
use crate::topo::Endpoint;

/// Pings in flight at once at most (each waits up to a second for a reply that may never
/// come; they cost little CPU).
const PARALLEL: usize = 32;

/// One ordered pair of host interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// The pinging interface, an index into [`Matrix::labels`].
    pub from: usize,
    /// The pinged interface.
    pub to: usize,
    /// Whether `to` should answer `from` by the configuration (VLANs, ACLs); `None` when
    /// the lab cannot tell (then the pair is not judged).
    pub expected: Option<bool>,
    /// Whether a ping got an answer.
    pub measured: bool,
}

impl Reach {
    /// Whether measured agrees with expected (or nothing was expected).
    pub fn ok(&self) -> bool {
        self.expected.is_none_or(|e| e == self.measured)
    }
}

/// Who reaches whom. Pairs of interfaces of the same host are not measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The host interfaces' labels, in [`crate::Lab::endpoints`] order.
    pub labels: Vec<String>,
    /// Their VLANs.
    pub vids: Vec<u16>,
    /// Every measured ordered pair.
    pub pairs: Vec<Reach>,
}

impl Matrix {
    /// Whether every pair behaves as the configuration says.
    pub fn as_expected(&self) -> bool {
        self.pairs.iter().all(Reach::ok)
    }

    /// The pairs that do not.
    pub fn mismatches(&self) -> impl Iterator<Item = &Reach> {
        self.pairs.iter().filter(|r| !r.ok())
    }

    /// The pair `from` → `to`, by index.
    pub fn get(&self, from: usize, to: usize) -> Option<&Reach> {
        self.pairs.iter().find(|r| r.from == from && r.to == to)
    }

    /// The pair `from` → `to`, by label.
    pub fn by_label(&self, from: &str, to: &str) -> Option<&Reach> {
        let f = self.labels.iter().position(|l| l == from)?;
        let t = self.labels.iter().position(|l| l == to)?;
        self.get(f, t)
    }
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.labels.len();
        let corner = "from \\ to";
        let w = self
            .labels
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(corner.len());
        let num = n.to_string().len();
        writeln!(
            f,
            "reachability: each row pings each column; expected: same VLAN (on one DP or \
             stacked DPs) and ACLs allow it"
        )?;
        writeln!(
            f,
            "  ok = replied, as expected   . = no reply, as expected   FAIL = no reply, but \
             expected   LEAK = replied, but not expected"
        )?;
        writeln!(
            f,
            "  ok? .? = not judged (ACLs the lab cannot predict)   - = same host"
        )?;
        let mut head = format!("{:num$}  {corner:w$}  VLAN ", "");
        for j in 0..n {
            let _ = write!(head, "{:>5}", j + 1);
        }
        writeln!(f, "{}", head.trim_end())?;
        for i in 0..n {
            let mut row = format!(
                "{:>num$}  {:w$}  {:>4} ",
                i + 1,
                self.labels[i],
                self.vids[i]
            );
            for j in 0..n {
                let cell = match self.get(i, j) {
                    None => "-",
                    Some(r) => match (r.expected, r.measured) {
                        (Some(true), true) => "ok",
                        (Some(false), false) => ".",
                        (Some(true), false) => "FAIL",
                        (Some(false), true) => "LEAK",
                        (None, true) => "ok?",
                        (None, false) => ".?",
                    },
                };
                let _ = write!(row, "{cell:>5}");
            }
            writeln!(f, "{row}")?;
        }
        let total = self.pairs.len();
        let bad: Vec<&Reach> = self.mismatches().collect();
        let unjudged = self.pairs.iter().filter(|r| r.expected.is_none()).count();
        let unjudged = if unjudged > 0 {
            format!(" ({unjudged} not judged)")
        } else {
            String::new()
        };
        if bad.is_empty() {
            let reach = self
                .pairs
                .iter()
                .filter(|r| r.expected == Some(true))
                .count();
            let isolated = self
                .pairs
                .iter()
                .filter(|r| r.expected == Some(false))
                .count();
            write!(
                f,
                "as expected: of {total} pairs, {reach} reach each other and {isolated} are \
                 isolated{unjudged}"
            )
        } else {
            write!(
                f,
                "{} of {total} pairs differ from what the configuration says{unjudged}:",
                bad.len()
            )?;
            for r in bad {
                let (a, b) = (&self.labels[r.from], &self.labels[r.to]);
                let (va, vb) = (self.vids[r.from], self.vids[r.to]);
                if r.measured {
                    write!(
                        f,
                        "\n  LEAK {a} (VLAN {va}) -> {b} (VLAN {vb}): replied, but should not"
                    )?;
                } else {
                    write!(
                        f,
                        "\n  FAIL {a} (VLAN {va}) -> {b} (VLAN {vb}): no reply, but should reach"
                    )?;
                }
            }
            Ok(())
        }
    }
}

/// Pings from `from` to `to` once, waiting a second for the answer.
fn ping(from: &Endpoint, to: &Endpoint) -> bool {
    let addr = to.addr.to_string();
    succeeds(
        "ip",
        &[
            "netns",
            "exec",
            &from.ns,
            "ping",
            "-n",
            "-q",
            "-c",
            "1",
            "-W",
            "1",
            "-I",
            &from.iface,
            &addr,
        ],
    )
}

/// Runs `job` on each of `items` on up to [`PARALLEL`] threads; its results in order.
fn parallel<T: Sync>(
    items: &[T],
    cancel: &AtomicBool,
    job: impl Fn(&T) -> bool + Sync,
) -> Vec<bool> {
    let results: Vec<AtomicBool> = items.iter().map(|_| AtomicBool::new(false)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..PARALLEL.min(items.len()) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(k) else { break };
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    if job(item) {
                        results[k].store(true, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    results.into_iter().map(AtomicBool::into_inner).collect()
}

/// Measures the matrix: first the pairs that should reach each other (this also warms up
/// ARP and the switches' learning), then every pair that has not answered yet, twice.
pub(crate) fn measure(
    endpoints: &[Endpoint],
    expected: &BTreeMap<(usize, usize), Option<bool>>,
    cancel: &AtomicBool,
) -> Matrix {
    let pairs: Vec<Reach> = expected
        .iter()
        .map(|(&(from, to), &expected)| Reach {
            from,
            to,
            expected,
            measured: false,
        })
        .collect();
    let mut pairs = pairs;
    for round in 0..3 {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let todo: Vec<usize> = (0..pairs.len())
            .filter(|k| !pairs[*k].measured && (round > 0 || pairs[*k].expected != Some(false)))
            .collect();
        let got = parallel(&todo, cancel, |k| {
            ping(&endpoints[pairs[*k].from], &endpoints[pairs[*k].to])
        });
        for (k, ok) in todo.iter().zip(got) {
            pairs[*k].measured |= ok;
        }
    }
    Matrix {
        labels: endpoints.iter().map(|e| e.label.clone()).collect(),
        vids: endpoints.iter().map(|e| e.vid).collect(),
        pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_expected_and_mismatches() {
        let mut m = Matrix {
            labels: vec!["h1".into(), "h2".into(), "g1".into()],
            vids: vec![100, 100, 200],
            pairs: Vec::new(),
        };
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    let same = m.vids[i] == m.vids[j];
                    m.pairs.push(Reach {
                        from: i,
                        to: j,
                        expected: Some(same),
                        measured: same,
                    });
                }
            }
        }
        assert!(m.as_expected());
        let text = m.to_string();
        assert!(
            text.contains("\n1  h1          100     -   ok    .\n"),
            "{text}"
        );
        assert!(text.ends_with("of 6 pairs, 2 reach each other and 4 are isolated"));

        m.pairs[1].measured = true; // h1 -> g1
        assert!(!m.as_expected());
        assert_eq!(m.by_label("h1", "g1").map(|r| r.measured), Some(true));
        let text = m.to_string();
        assert!(
            text.contains("LEAK h1 (VLAN 100) -> g1 (VLAN 200)"),
            "{text}"
        );

        m.pairs[1].expected = None;
        assert!(m.as_expected());
        assert!(m.to_string().contains("  ok?"));
        assert!(m.to_string().ends_with("(1 not judged)"));
    }
}
