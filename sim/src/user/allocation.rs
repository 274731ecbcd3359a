//! FA allocation groups and presets (`/iserver/account/allocation/*`; shapes from cpapi-v1
//! "Allocation" and the spec's `allocationGroups`, `allocationGroup`, `presets`).

/// One account's share in a group (`amount` is used by the ratio, percentage and share methods).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub account: String,
    pub amount: Option<f64>,
}

/// One allocation group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub name: String,
    /// IBKR's method letter: A available equity, E equal, N net liquidation, C cash quantity,
    /// P percentages, R ratios, S shares (cpapi-v1 "Allocation Method Codes").
    pub method: String,
    pub members: Vec<Member>,
}

/// The allocation presets.
#[derive(Debug, Clone)]
pub(crate) struct Presets {
    pub default_method_for_all: String,
    pub group_auto_close_positions: bool,
    pub group_proportional_allocation: bool,
    pub profiles_auto_close_positions: bool,
    pub strict_credit_check: bool,
}

/// A model portfolio (`/fa/model/*`): targets by currency and by contract, fractions of 1.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub name: String,
    pub description: String,
    pub is_static: bool,
    pub cash_targets: Vec<(String, f64)>,
    pub position_targets: Vec<(u64, f64)>,
    /// Accounts invested in the model with the amount each put in.
    pub invested: Vec<(String, f64)>,
}

/// The advisor's groups, presets, models and model presets.
#[derive(Debug)]
pub(crate) struct AllocationBook {
    pub groups: Vec<Group>,
    pub presets: Presets,
    pub models: Vec<Model>,
    /// `/fa/fa-preset/*` flags by name (ibind-anchor §1 #33).
    pub model_presets: std::collections::BTreeMap<String, bool>,
    /// The last transfer instruction id handed out by invest/divest.
    pub transfers: u64,
}

/// The boolean model presets (the spec's `modelPresetsResponse`).
pub(crate) const MODEL_PRESETS: &[&str] = &[
    "avoidNegativeCashInCore",
    "closeDivestCorePosition",
    "fullyInvestExistingLongPositions",
    "keepModelOpen",
    "preferCrossWithIndependent",
    "preferTransferFromIndependent",
    "roundAllocExchBoardLot",
    "useNonBaseCcy",
    "useToleranceRange",
];

/// The method letters IBKR accepts.
pub(crate) const METHODS: &[&str] = &["A", "E", "N", "C", "P", "R", "S"];

impl AllocationBook {
    /// One seeded group over every account, split by net liquidation.
    pub(crate) fn new(accounts: &[String]) -> Self {
        AllocationBook {
            groups: vec![Group {
                name: "Group_1_NetLiq".to_string(),
                method: "N".to_string(),
                members: accounts
                    .iter()
                    .map(|a| Member {
                        account: a.clone(),
                        amount: None,
                    })
                    .collect(),
            }],
            models: Vec::new(),
            model_presets: MODEL_PRESETS
                .iter()
                .map(|k| (k.to_string(), false))
                .collect(),
            transfers: 0,
            presets: Presets {
                default_method_for_all: "AvailableEquity".to_string(),
                group_auto_close_positions: false,
                group_proportional_allocation: false,
                profiles_auto_close_positions: false,
                strict_credit_check: false,
            },
        }
    }

    pub(crate) fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    pub(crate) fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }
}
