//! How the answers to a split and a return look while they are still in progress: as the pages
//! show them, or without what only a finished share or return has, as WeChat Pay may answer.

use serde_json::Value;

/// How the simulator answers 请求分账 and 请求分账回退 while the split or the return is still in
/// progress (a share `PENDING`, a return `PROCESSING`): the state every such answer is in right
/// after the request. WeChat Pay's answers have shrunk and grown over the years; a client must
/// decode each of these, since the request took effect whatever it can read of the answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InProgressAnswers {
    /// Every field the pages show, those that only a finished share or return has set to the
    /// time the request was accepted (the pages mark them required).
    #[default]
    AsPages,
    /// Without what only a finished share or return has: a pending share has no `finish_time` and
    /// no `detail_id`, a processing return no `finish_time`.
    Sparse,
    /// As the split answer of 2020: only `sub_mchid`, `transaction_id`, `out_order_no` and
    /// `order_id` (no `status`, no `receivers`); a return as [`InProgressAnswers::Sparse`].
    IdsOnly,
}

/// The fields of the split answer of 2020.
const SPLIT_IDS: [&str; 4] = ["sub_mchid", "transaction_id", "out_order_no", "order_id"];

impl InProgressAnswers {
    /// Shapes the answer to a split (请求分账).
    pub(crate) fn shape_split(self, answer: &mut Value) {
        let Some(object) = answer.as_object_mut() else {
            return;
        };
        match self {
            Self::AsPages => {}
            Self::IdsOnly => object.retain(|key, _| SPLIT_IDS.contains(&key.as_str())),
            Self::Sparse => {
                let receivers = object.get_mut("receivers").and_then(Value::as_array_mut);
                for share in receivers.into_iter().flatten() {
                    if let Some(share) = share.as_object_mut()
                        && share.get("result").and_then(Value::as_str) == Some("PENDING")
                    {
                        share.remove("finish_time");
                        share.remove("detail_id");
                    }
                }
            }
        }
    }

    /// Shapes the answer to a return (请求分账回退).
    pub(crate) fn shape_return(self, answer: &mut Value) {
        if self == Self::AsPages {
            return;
        }
        if let Some(object) = answer.as_object_mut()
            && object.get("result").and_then(Value::as_str) == Some("PROCESSING")
        {
            object.remove("finish_time");
        }
    }
}
