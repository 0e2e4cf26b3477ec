-- Infor GL journals to post (GLS840MI AddBatchHead, one AddBatchLineFld per element of
-- `lines`, then CtrlBatch and UpdBatch): one row per FreshBooks expense, natural key KEY1.

{{ sync_model('infor_gl_journals', extra_columns=[
    'expense_key',
    'account_id',
    'expense_id',
    'expense_category',
    'currency_code',
    'amount',
]) }}
