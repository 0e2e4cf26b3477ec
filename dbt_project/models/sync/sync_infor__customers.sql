-- Infor customers to create (CRS610MI Add, then ChgFinancial and ChgOrderInfo) or update
-- (ChgBasicData / ChgFinancial): one row per customer, natural key CUNO. A null payload field
-- is not sent (an update carries only the fields FreshBooks owns).

{{ sync_model('infor_customers', extra_columns=[
    'client_key',
    'account_id',
    'client_id',
    'match_status',
    'before_values',
]) }}
