//! Checks across DPs: the stack topology (links defined from both ends, a root candidate,
//! every stacked DP connected to the root) and duplicate `dp_id`s.

use std::collections::{BTreeMap, VecDeque};

use super::dp::DpDef;
use crate::conf::{Ctx, join};
use crate::model::{Dp, DpId, DpStack};

/// Runs the checks across DPs and returns the models of the DPs that built without error.
pub(crate) fn resolve(ctx: &mut Ctx<'_>, dps: Vec<DpDef<'_>>) -> Vec<Dp> {
    let all_finalized = dps.iter().all(|d| d.finalized);

    // Duplicate dp_ids.
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    for dp in dps.iter().filter(|d| d.dp_id_ok) {
        match seen.get(&dp.dp_id) {
            Some(other) => ctx.error(
                dp.dp_id_pos,
                &join(&dp.path, "dp_id"),
                format!("dp_id {:#x} is also the dp_id of DP \"{other}\"", dp.dp_id),
            ),
            None => {
                seen.insert(dp.dp_id, &dp.name);
            }
        }
    }

    let stacked: Vec<usize> = dps
        .iter()
        .enumerate()
        .filter(|(_, d)| d.finalized && d.ports.iter().any(|p| p.stack.is_some()))
        .map(|(i, _)| i)
        .collect();
    let mut stack_info: BTreeMap<usize, DpStack> = BTreeMap::new();
    if !stacked.is_empty() && all_finalized {
        let candidates: Vec<usize> = stacked
            .iter()
            .copied()
            .filter(|&i| dps[i].stack_conf.priority.is_some_and(|p| p != 0))
            .collect();
        if candidates.is_empty() {
            let d = &dps[stacked[0]];
            ctx.error(
                d.pos,
                &join(&d.path, "stack"),
                "stacking is configured but no DP is a root candidate (give at least one DP \
                 `stack: {priority: 1}`)",
            );
        } else {
            let mut ok = true;
            for &i in &candidates {
                let d = &dps[i];
                if d.stack_conf.priority.is_some_and(|p| p <= 0) {
                    ctx.error(
                        d.stack_conf.priority_pos,
                        &join(&join(&d.path, "stack"), "priority"),
                        "stack priority must be greater than 0",
                    );
                    ok = false;
                }
            }
            // Links: each must be written at both ends.
            let name_of = |i: usize| dps[i].name.as_str();
            let mut edges: BTreeMap<String, (usize, Vec<(usize, String)>)> = BTreeMap::new();
            let mut adjacency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for &i in &stacked {
                adjacency.entry(name_of(i)).or_default();
                for p in &dps[i].ports {
                    let Some((peer_dp, peer_port, spath)) = &p.stack else {
                        continue;
                    };
                    let Some(peer) = dps.iter().find(|d| d.name == *peer_dp) else {
                        continue;
                    };
                    let Some(pp) = peer.ports.iter().find(|q| match &peer_port.value {
                        crate::yaml::Value::Str(s) => q.name == *s,
                        v => v.as_int() == Some(i128::from(q.number)),
                    }) else {
                        continue;
                    };
                    let a = (dps[i].name.clone(), p.name.clone());
                    let b = (peer.name.clone(), pp.name.clone());
                    let (x, y) = if a <= b { (a, b) } else { (b, a) };
                    let name = format!("{}:{}-{}:{}", x.0, x.1, y.0, y.1);
                    let entry = edges.entry(name).or_insert((0, Vec::new()));
                    entry.0 += 1;
                    entry.1.push((i, spath.clone()));
                    adjacency
                        .entry(name_of(i))
                        .or_default()
                        .push(peer.name.as_str());
                    adjacency
                        .entry(peer.name.as_str())
                        .or_default()
                        .push(name_of(i));
                }
            }
            for (name, (count, at)) in &edges {
                if *count != 2 {
                    let (i, path) = &at[0];
                    ctx.error(
                        dps[*i]
                            .ports
                            .iter()
                            .find_map(|p| {
                                p.stack.as_ref().filter(|s| s.2 == *path).map(|s| s.1.pos)
                            })
                            .unwrap_or(dps[*i].pos),
                        path,
                        format!(
                            "stack link {name} is defined only in one direction (the peer port \
                             must have a matching `stack` back to this port)"
                        ),
                    );
                    ok = false;
                }
            }
            // The root: the lowest priority, then the lowest dp_id (at load time every DP is
            // equally unhealthy).
            let mut ranked = candidates.clone();
            ranked.sort_by_key(|&i| (dps[i].stack_conf.priority.unwrap_or(i64::MAX), dps[i].dp_id));
            let root = ranked[0];
            let root_name = name_of(root);
            let distances = bfs(&adjacency, root_name);
            if !edges.is_empty() {
                for &i in &stacked {
                    if !distances.contains_key(name_of(i)) {
                        ctx.error(
                            dps[i].pos,
                            &dps[i].path,
                            format!(
                                "DP \"{}\" is not connected to the stack root \"{root_name}\"",
                                name_of(i)
                            ),
                        );
                        ok = false;
                    }
                }
            }
            if ok {
                let longest = distances.values().copied().max().unwrap_or(0);
                let route_learning_forced = dps
                    .iter()
                    .any(|d| d.model.vlans.values().any(|v| !v.faucet_vips.is_empty()));
                let externals = stacked
                    .iter()
                    .any(|&i| dps[i].ports.iter().any(|p| p.loop_protect_external));
                for &i in &stacked {
                    let sc = &dps[i].stack_conf;
                    stack_info.insert(
                        i,
                        DpStack {
                            priority: sc.priority.filter(|p| *p != 0),
                            route_learning: sc.route_learning || route_learning_forced,
                            down_time_multiple: sc.down_time_multiple,
                            min_stack_health: sc.min_stack_health,
                            min_lacp_health: sc.min_lacp_health,
                            root: DpId(dps[root].dp_id),
                            root_candidates: ranked.iter().map(|&r| DpId(dps[r].dp_id)).collect(),
                            // More than two DPs on the longest path to the root.
                            root_flood_reflection: longest + 1 > 2,
                        },
                    );
                    let _ = externals;
                }
                if externals {
                    for &i in &stacked {
                        stack_info.entry(i).and_modify(|_| {});
                    }
                }
            }
        }
    }

    let externals = stacked
        .iter()
        .any(|&i| dps[i].ports.iter().any(|p| p.loop_protect_external));
    let mut out = Vec::new();
    for (i, dp) in dps.into_iter().enumerate() {
        if !dp.finalized {
            continue;
        }
        let mut model = dp.model;
        model.stack = stack_info.remove(&i);
        model.has_externals = dp.ports.iter().any(|p| p.loop_protect_external)
            || (model.stack.is_some() && externals);
        out.push(model);
    }
    out
}

/// Hop counts from `root` over the stack links.
fn bfs<'a>(adjacency: &BTreeMap<&'a str, Vec<&'a str>>, root: &'a str) -> BTreeMap<&'a str, usize> {
    let mut dist = BTreeMap::new();
    dist.insert(root, 0);
    let mut queue = VecDeque::from([root]);
    while let Some(n) = queue.pop_front() {
        let d = dist[n];
        for &m in adjacency.get(n).map_or(&[][..], Vec::as_slice) {
            if !dist.contains_key(m) {
                dist.insert(m, d + 1);
                queue.push_back(m);
            }
        }
    }
    dist
}
