;;
GO
;