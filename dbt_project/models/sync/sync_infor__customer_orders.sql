-- Infor customer orders to create (OIS100MI AddBatchHead, one AddBatchLine per element of
-- `lines`, then Confirm): one row per FreshBooks invoice, natural key CUOR (the invoice number).
-- `depends_on` names the customer (CUNO) the order waits for when it is still to be created.

{{ sync_model('infor_customer_orders', extra_columns=[
    'invoice_key',
    'account_id',
    'invoice_id',
    'client_id',
    'line_count',
]) }}
