//! Programming a switch as a difference between what it holds and what it should hold.

use sluice_ofp::Message;

use super::flow::{Flow, FlowSet, delete_strict};

/// The messages that take a switch holding `have` to holding `want`, without touching flows
/// that are already right: deletes of unwanted flows first, then the missing or changed flows
/// as ADDs (an ADD replaces a flow with the same table, priority and match, so a changed flow
/// is never absent), ordered by table and priority from the end of the pipeline backwards so a
/// rule is never installed before the rules it leads to (FAUCET's `valve_flowreorder`).
pub fn diff(have: &FlowSet, want: &FlowSet) -> Vec<Message> {
    let mut deletes: Vec<_> = have.keys_missing_from(want).collect();
    deletes.sort();
    let mut adds: Vec<Flow> = want.differing_from(have).collect();
    adds.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.key.table),
            std::cmp::Reverse(a.key.priority),
            &a.key,
        )
            .cmp(&(
                std::cmp::Reverse(b.key.table),
                std::cmp::Reverse(b.key.priority),
                &b.key,
            ))
    });
    deletes
        .iter()
        .map(delete_strict)
        .chain(adds.iter().map(Flow::add))
        .collect()
}

#[cfg(test)]
mod tests {
    use sluice_ofp::msg::flow::FlowModCommand;
    use sluice_ofp::oxm::OxmField;
    use sluice_ofp::{Instruction, Match, PortNo};

    use super::*;

    fn flow(table: u8, prio: u16, port: u32, goto: u8) -> Flow {
        Flow::new(
            table,
            prio,
            Match::from_fields([OxmField::InPort(PortNo(port))]),
            1,
            vec![Instruction::GotoTable(goto)],
        )
    }

    fn commands(msgs: &[Message]) -> Vec<(FlowModCommand, u8, u16)> {
        msgs.iter()
            .map(|m| match m {
                Message::FlowMod(f) => (f.command, f.table_id, f.priority),
                other => panic!("{other}"),
            })
            .collect()
    }

    #[test]
    fn only_what_differs_is_sent_deletes_first() {
        let have: FlowSet = [flow(0, 10, 1, 1), flow(0, 10, 2, 1), flow(1, 5, 1, 2)]
            .into_iter()
            .collect();
        let want: FlowSet = [flow(0, 10, 1, 1), flow(0, 10, 2, 2), flow(2, 7, 3, 3)]
            .into_iter()
            .collect();
        let msgs = diff(&have, &want);
        use FlowModCommand::*;
        // Table 1's flow goes; port 2's flow changes (an ADD replaces it); table 2's is new.
        assert_eq!(
            commands(&msgs),
            vec![(DeleteStrict, 1, 5), (Add, 2, 7), (Add, 0, 10)]
        );
        assert!(diff(&want, &want).is_empty());
    }
}
