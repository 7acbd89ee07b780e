-- Each account sees and changes only its own orders.
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_select ON orders FOR SELECT
    USING (account_id = current_setting('app.account_id', true)::bigint);
CREATE POLICY orders_insert ON orders FOR INSERT
    WITH CHECK (account_id = current_setting('app.account_id', true)::bigint);
CREATE POLICY orders_update ON orders FOR UPDATE
    USING (account_id = current_setting('app.account_id', true)::bigint);
CREATE POLICY orders_delete ON orders FOR DELETE
    USING (account_id = current_setting('app.account_id', true)::bigint);
