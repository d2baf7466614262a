# postfix
