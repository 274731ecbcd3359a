//! Interactive Brokers Flex Web Service client and Flex XML parser.
