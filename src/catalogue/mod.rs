//! Every sentence wxcoupon says about WeChat Pay, in one place: what each
//! error code of the return API means and what to do next (`codes`, data,
//! not logic), and the explanations of outcomes (`outcomes`). Chinese and
//! English side by side.

pub mod codes;
pub mod outcomes;
