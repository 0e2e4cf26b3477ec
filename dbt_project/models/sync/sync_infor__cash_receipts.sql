-- Infor cash receipts to add (ABS100MI AddStatmtHead, AddStatmtLine, AddStatmtDetail, then
-- ValidateStatmt): one bank statement per FreshBooks payment, natural key STMN. The line is the
-- amount received; the first detail settles the AR invoice, and a payment that differs from
-- the invoice's open amount within the tolerance has a second detail with the difference
-- (`difference_detail`, see plan_infor__cash_receipts). Differences beyond it are in
-- sync_rejects. `booked_alike` lists the receipts ledgerlink booked before that settled the
-- same amount on the same day and invoice: the writer tells this receipt's Infor payment item
-- from theirs by them.

{{ sync_model('infor_cash_receipts', extra_columns=[
    'payment_key',
    'account_id',
    'payment_id',
    'invoice_key',
    'freshbooks_invoice_number',
    'm3_order_number',
    'payment_method',
    'cash_account',
    'open_amount',
    'payment_difference',
    'booked_alike',
]) }}
