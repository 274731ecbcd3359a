//! A simulated Client Portal Gateway and Flex Web Service.
