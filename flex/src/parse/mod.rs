//! Reading Flex XML: values, rows and the streaming reader.

pub mod absent;
pub mod attributes;
pub mod dates;
pub mod decimal;
pub mod error;
mod lines;
pub mod options;
pub mod reader;
pub mod row;
mod scan;
pub mod value;
